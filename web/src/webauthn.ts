/**
 * Passkeys in the browser (WebAuthn Level 3), with the JSON forms of its options and answers
 * converted by hand: `PublicKeyCredential.parseCreationOptionsFromJSON` and `toJSON` are too new
 * to rely on (and missing from the DOM types we build with). Binary fields travel as base64url
 * without padding (§5.1.3.1 and following). Nothing here touches a global: the ceremonies take the
 * `CredentialsContainer` to use, so the unit tests can hand them a fake one.
 */

// ---- base64url ----

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const values = new Map([...alphabet].map((character, value) => [character, value]));

/** The bytes of any buffer or view, without copying. */
function view(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** Base64url without padding (RFC 4648 §5), as WebAuthn's JSON forms write bytes. */
export function bytesToBase64url(data: ArrayBuffer | ArrayBufferView): string {
  const bytes = view(data);
  let text = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const characters = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < characters; j++) text += alphabet[(chunk >> (18 - 6 * j)) & 63];
  }
  return text;
}

/** The bytes of a base64url string (padding tolerated); a `TypeError` for anything else. */
export function base64urlToBytes(text: string): Uint8Array {
  if (typeof text !== "string") throw new TypeError("base64url: not a string");
  const body = text.replace(/={1,2}$/, "");
  if (body.length % 4 === 1 || (text.length !== body.length && text.length % 4 !== 0)) throw new TypeError("base64url: bad length");
  const bytes = new Uint8Array(Math.floor((body.length * 6) / 8));
  let bits = 0;
  let buffer = 0;
  let out = 0;
  for (const character of body) {
    const value = values.get(character);
    if (value === undefined) throw new TypeError("base64url: not a base64url character");
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[out++] = (buffer >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two strings would name the same bytes.
  if (bits > 0 && (buffer & ((1 << bits) - 1)) !== 0) throw new TypeError("base64url: non-canonical ending");
  return bytes;
}

// ---- the server's options (JSON) → what navigator.credentials wants ----

export interface CredentialDescriptorJSON {
  type: string;
  id: string;
  transports?: string[];
}

/** `PublicKeyCredentialCreationOptionsJSON` (WebAuthn L3 §5.1.3.1), from `POST /auth/passkeys/registration-options`. */
export interface CreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: string; alg: number }[];
  timeout?: number;
  excludeCredentials?: CredentialDescriptorJSON[];
  authenticatorSelection?: AuthenticatorSelectionCriteria;
  attestation?: string;
  extensions?: Record<string, unknown>;
}

/** `PublicKeyCredentialRequestOptionsJSON` (§5.1.3.2), from `POST /auth/passkeys/login-options`. */
export interface RequestOptionsJSON {
  challenge: string;
  rpId?: string;
  timeout?: number;
  allowCredentials?: CredentialDescriptorJSON[];
  userVerification?: string;
  extensions?: Record<string, unknown>;
}

const descriptor = (credential: CredentialDescriptorJSON): PublicKeyCredentialDescriptor => ({
  type: credential.type as PublicKeyCredentialType,
  id: base64urlToBytes(credential.id),
  ...(Array.isArray(credential.transports) ? { transports: credential.transports as AuthenticatorTransport[] } : {}),
});

/** What `navigator.credentials.create({publicKey})` takes, from the server's JSON. */
export function creationOptions(json: CreationOptionsJSON): PublicKeyCredentialCreationOptions {
  const options: PublicKeyCredentialCreationOptions = {
    rp: json.rp,
    user: { id: base64urlToBytes(json.user.id), name: json.user.name, displayName: json.user.displayName },
    challenge: base64urlToBytes(json.challenge),
    pubKeyCredParams: json.pubKeyCredParams.map(({ type, alg }) => ({ type: type as PublicKeyCredentialType, alg })),
  };
  if (typeof json.timeout === "number") options.timeout = json.timeout;
  if (Array.isArray(json.excludeCredentials)) options.excludeCredentials = json.excludeCredentials.map(descriptor);
  if (json.authenticatorSelection) options.authenticatorSelection = json.authenticatorSelection;
  if (json.attestation) options.attestation = json.attestation as AttestationConveyancePreference;
  if (json.extensions) options.extensions = json.extensions as AuthenticationExtensionsClientInputs;
  return options;
}

/** What `navigator.credentials.get({publicKey})` takes, from the server's JSON. */
export function requestOptions(json: RequestOptionsJSON): PublicKeyCredentialRequestOptions {
  const options: PublicKeyCredentialRequestOptions = { challenge: base64urlToBytes(json.challenge) };
  if (json.rpId) options.rpId = json.rpId;
  if (typeof json.timeout === "number") options.timeout = json.timeout;
  if (Array.isArray(json.allowCredentials)) options.allowCredentials = json.allowCredentials.map(descriptor);
  if (json.userVerification) options.userVerification = json.userVerification as UserVerificationRequirement;
  if (json.extensions) options.extensions = json.extensions as AuthenticationExtensionsClientInputs;
  return options;
}

// ---- what the browser answered → the JSON the server reads ----

/** The parts of a `PublicKeyCredential` read here (newer fields optional: not every browser has them). */
interface CredentialLike {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  authenticatorAttachment?: string | null;
  getClientExtensionResults?: () => unknown;
}

export interface AttestationCredential extends CredentialLike {
  response: { clientDataJSON: ArrayBuffer; attestationObject: ArrayBuffer; getTransports?: () => string[] };
}

export interface AssertionCredential extends CredentialLike {
  response: { clientDataJSON: ArrayBuffer; authenticatorData: ArrayBuffer; signature: ArrayBuffer; userHandle: ArrayBuffer | null };
}

/** `RegistrationResponseJSON` (§5.1.3.3), the `credential` of `POST /auth/passkeys`. */
export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: string;
  response: { clientDataJSON: string; attestationObject: string; transports?: string[] };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string;
}

/** `AuthenticationResponseJSON` (§5.1.3.4), the `credential` of `POST /auth/passkeys/login`. */
export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: string;
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle: string | null };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string;
}

/** Extension outputs are JSON already, except ArrayBuffers (none that we ask for): those become base64url. */
function extensionResults(credential: CredentialLike): Record<string, unknown> {
  const results = credential.getClientExtensionResults?.();
  if (!results || typeof results !== "object") return {};
  return JSON.parse(JSON.stringify(results, (_, value) => (value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? bytesToBase64url(value) : value)));
}

const attachment = (credential: CredentialLike) =>
  typeof credential.authenticatorAttachment === "string" ? { authenticatorAttachment: credential.authenticatorAttachment } : {};

export function registrationResponse(credential: AttestationCredential): RegistrationResponseJSON {
  const { response } = credential;
  let transports: string[] | undefined;
  try {
    transports = response.getTransports?.();
  } catch {
    transports = undefined; // some browsers throw when called on a copy; the server does not need them
  }
  return {
    id: credential.id,
    rawId: bytesToBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: bytesToBase64url(response.clientDataJSON),
      attestationObject: bytesToBase64url(response.attestationObject),
      ...(Array.isArray(transports) ? { transports: [...transports] } : {}),
    },
    clientExtensionResults: extensionResults(credential),
    ...attachment(credential),
  };
}

export function authenticationResponse(credential: AssertionCredential): AuthenticationResponseJSON {
  const { response } = credential;
  return {
    id: credential.id,
    rawId: bytesToBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: bytesToBase64url(response.clientDataJSON),
      authenticatorData: bytesToBase64url(response.authenticatorData),
      signature: bytesToBase64url(response.signature),
      userHandle: response.userHandle && response.userHandle.byteLength > 0 ? bytesToBase64url(response.userHandle) : null,
    },
    clientExtensionResults: extensionResults(credential),
    ...attachment(credential),
  };
}

// ---- the ceremonies ----

export type Credentials = Pick<CredentialsContainer, "create" | "get">;

/** The browser gave nothing usable back (no credential, or not a public-key one). */
function noCredential(): DOMException {
  return new DOMException("The browser returned no passkey", "NotAllowedError");
}

/**
 * Makes a passkey with the options the server gave, and returns what `POST /auth/passkeys` takes.
 * Rejects with the browser's `DOMException` (`NotAllowedError` when the person cancels or the
 * prompt times out, `InvalidStateError` when this authenticator already holds one of the
 * account's passkeys, `AbortError` when `signal` aborts).
 */
export async function createPasskey(credentials: Credentials, json: CreationOptionsJSON, signal?: AbortSignal): Promise<RegistrationResponseJSON> {
  const credential = (await credentials.create({ publicKey: creationOptions(json), signal })) as unknown as AttestationCredential | null;
  if (!credential || credential.type !== "public-key" || !credential.response?.attestationObject) throw noCredential();
  return registrationResponse(credential);
}

/** Signs the server's challenge with a passkey the person picks, and returns what `POST /auth/passkeys/login` takes. */
export async function getPasskey(credentials: Credentials, json: RequestOptionsJSON, signal?: AbortSignal): Promise<AuthenticationResponseJSON> {
  const credential = (await credentials.get({ publicKey: requestOptions(json), signal })) as unknown as AssertionCredential | null;
  if (!credential || credential.type !== "public-key" || !credential.response?.signature) throw noCredential();
  return authenticationResponse(credential);
}

/** The global scope as far as passkeys care. */
export interface PasskeyScope {
  PublicKeyCredential?: unknown;
  isSecureContext?: boolean;
  navigator?: { credentials?: Partial<Credentials> };
}

/** Whether this browser can make and use passkeys here (WebAuthn needs a secure context: https, or localhost). */
export function passkeysSupported(scope: PasskeyScope): boolean {
  return (
    typeof scope.PublicKeyCredential === "function" &&
    scope.isSecureContext !== false &&
    typeof scope.navigator?.credentials?.create === "function" &&
    typeof scope.navigator?.credentials?.get === "function"
  );
}

/**
 * Whether a ceremony ended without anything to explain: the person closed the browser's prompt or
 * let it time out (`NotAllowedError`, deliberately vague in the spec so pages can't probe for
 * passkeys), or the page was left (`AbortError`).
 */
export function isCeremonyCancelled(error: unknown): boolean {
  return error instanceof DOMException && (error.name === "NotAllowedError" || error.name === "AbortError");
}

/** The authenticator already holds a passkey for this account (one of `excludeCredentials`). */
export function isAlreadyRegistered(error: unknown): boolean {
  return error instanceof DOMException && error.name === "InvalidStateError";
}
