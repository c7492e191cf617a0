import { ApiError, isCancellation, type FieldError } from "./api/problem";
import { h, message, uid, type Child } from "./dom";
import { describeProblem } from "./messages";

/** One input with its label, hint and error slot, wired with aria-describedby / aria-invalid. */
export interface FieldSpec {
  name: string;
  label: string;
  type?: "text" | "email" | "password" | "checkbox" | "textarea";
  autocomplete?: string;
  required?: boolean;
  hint?: string;
  value?: string;
  maxLength?: number;
  /** Minimum length for new passwords, checked before sending. */
  minLength?: number;
  /** Marks the label "(optional)". */
  optional?: boolean;
  /** A CSS class on the field wrapper (for example a half-width column). */
  className?: string;
  /** What to say when a required field is empty (default "Enter your <label>."). */
  requiredMessage?: string;
}

export interface FormOptions {
  fields: FieldSpec[];
  submitLabel: string;
  busyLabel: string;
  /** The submit button's classes (default: the primary button). */
  submitClass?: string;
  /** More checks before sending (for example "passwords match"). */
  validate?: (form: FormHandle) => FieldError[];
  onSubmit: (form: FormHandle) => Promise<void>;
  /** Words for problem codes this form explains better than the default messages. */
  problems?: Record<string, Content | (() => Content)>;
  /** Extra content between the fields and the submit button. */
  beforeSubmit?: Child;
  /** A secondary action beside the submit button. */
  secondary?: Child;
  className?: string;
}

export interface FormHandle {
  element: HTMLFormElement;
  value(name: string): string;
  checked(name: string): boolean;
  input(name: string): HTMLInputElement | HTMLTextAreaElement;
  setBusy(busy: boolean): void;
  clearErrors(): void;
  /** Shows field errors beside their fields (focusing the first) and anything else in the form alert. */
  showErrors(errors: FieldError[], summary?: Content): void;
  alert(kind: "info" | "success" | "error", ...content: Content[]): void;
  /** Shows any thrown error the way this form explains it. */
  showFailure(error: unknown): void;
  reset(): void;
}

type Content = Child | Child[];

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function createForm(options: FormOptions): FormHandle {
  const formId = uid("form");
  const alertSlot = h("div", { class: "form-alert" });
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
  const errorSlots = new Map<string, HTMLElement>();
  const specs = new Map(options.fields.map((spec) => [spec.name, spec]));

  const fieldNodes = options.fields.map((spec) => {
    const id = `${formId}-${spec.name}`;
    const hintId = spec.hint ? `${id}-hint` : undefined;
    const errorId = `${id}-error`;
    const common = {
      id,
      name: spec.name,
      "aria-describedby": hintId,
      required: spec.required,
      autocomplete: spec.autocomplete,
      maxlength: spec.maxLength,
    };
    const input =
      spec.type === "textarea"
        ? h("textarea", { ...common, rows: 3 }, spec.value ?? "")
        : h("input", { ...common, type: spec.type ?? "text", value: spec.value, spellcheck: spec.type === "email" ? "false" : undefined });
    inputs.set(spec.name, input);
    const error = h("p", { id: errorId, class: "field-error", hidden: true });
    errorSlots.set(spec.name, error);
    const hint = spec.hint ? h("p", { id: hintId, class: "field-hint" }, spec.hint) : null;
    const optional = spec.optional ? h("span", { class: "optional" }, " (optional)") : null;
    if (spec.type === "checkbox") {
      return h(
        "div",
        { class: `field field-checkbox ${spec.className ?? ""}` },
        input,
        h("div", null, h("label", { for: id }, spec.label, optional), hint, error),
      );
    }
    return h("div", { class: `field ${spec.className ?? ""}` }, h("label", { for: id }, spec.label, optional), hint, input, error);
  });

  const submit = h("button", { type: "submit", class: options.submitClass ?? "button button-primary" }, options.submitLabel);
  const element = h(
    "form",
    { class: `form ${options.className ?? ""}`, novalidate: true },
    alertSlot,
    h("div", { class: "fields" }, fieldNodes),
    options.beforeSubmit,
    h("div", { class: "form-actions" }, submit, options.secondary),
  );

  const setFieldError = (name: string, text: string | null) => {
    const input = inputs.get(name);
    const slot = errorSlots.get(name);
    if (!input || !slot) return;
    const hintId = specs.get(name)?.hint ? `${input.id}-hint` : "";
    slot.textContent = text ?? "";
    slot.hidden = !text;
    if (text) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", `${hintId} ${slot.id}`.trim());
    } else {
      input.removeAttribute("aria-invalid");
      if (hintId) input.setAttribute("aria-describedby", hintId);
      else input.removeAttribute("aria-describedby");
    }
  };

  const handle: FormHandle = {
    element,
    value(name) {
      const raw = inputs.get(name)?.value ?? "";
      return specs.get(name)?.type === "password" ? raw : raw.trim();
    },
    checked: (name) => (inputs.get(name) as HTMLInputElement | undefined)?.checked ?? false,
    input(name) {
      const input = inputs.get(name);
      if (!input) throw new Error(`No field ${name}`);
      return input;
    },
    setBusy(busy) {
      submit.disabled = busy;
      submit.setAttribute("aria-busy", String(busy));
      submit.textContent = busy ? options.busyLabel : options.submitLabel;
      element.setAttribute("aria-busy", String(busy));
    },
    clearErrors() {
      alertSlot.replaceChildren();
      for (const name of inputs.keys()) setFieldError(name, null);
    },
    showErrors(errors, summary) {
      handle.clearErrors();
      const unplaced: string[] = [];
      let first: HTMLElement | undefined;
      for (const error of errors) {
        if (inputs.has(error.field) && errorSlots.get(error.field)?.hidden) {
          setFieldError(error.field, error.message);
          first ??= inputs.get(error.field);
        } else if (!inputs.has(error.field)) unplaced.push(error.message);
      }
      if (summary || unplaced.length) {
        alertSlot.replaceChildren(message("error", summary, unplaced.length ? h("ul", null, unplaced.map((text) => h("li", null, text))) : null));
      }
      first?.focus();
    },
    alert(kind, ...content) {
      alertSlot.replaceChildren(message(kind, ...content));
    },
    showFailure(error) {
      if (!(error instanceof ApiError)) {
        handle.alert("error", "Something went wrong. Please try again.");
        console.error(error);
        return;
      }
      const problem = error.problem;
      const custom = options.problems?.[problem.code];
      if (custom !== undefined) {
        const content = typeof custom === "function" ? custom() : custom;
        if (problem.errors?.length) handle.showErrors(problem.errors, content);
        else handle.showErrors([], content);
        return;
      }
      if (problem.errors?.length) handle.showErrors(problem.errors, problem.code === "validation_failed" ? null : describeProblem(problem));
      else handle.showErrors([], describeProblem(problem));
    },
    reset() {
      element.reset();
      handle.clearErrors();
    },
  };

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const problems = [...builtInChecks(options.fields, handle), ...(options.validate?.(handle) ?? [])];
    if (problems.length) {
      handle.showErrors(problems);
      return;
    }
    handle.clearErrors();
    handle.setBusy(true);
    try {
      await options.onSubmit(handle);
    } catch (error) {
      // Cancelled (the "Confirm it's you" dialog, or the page was left): back to idle, nothing to explain.
      if (!isCancellation(error)) handle.showFailure(error);
    } finally {
      handle.setBusy(false);
    }
  });

  return handle;
}

function builtInChecks(fields: FieldSpec[], form: FormHandle): FieldError[] {
  const errors: FieldError[] = [];
  for (const spec of fields) {
    const label = spec.label.toLowerCase();
    if (spec.type === "checkbox") {
      if (spec.required && !form.checked(spec.name)) errors.push({ field: spec.name, code: "required", message: spec.requiredMessage ?? "Tick this box to continue." });
      continue;
    }
    const value = form.value(spec.name);
    if (spec.required && !value)
      errors.push({ field: spec.name, code: "required", message: spec.requiredMessage ?? `Enter your ${label}.` });
    else if (spec.type === "email" && value && !emailPattern.test(value))
      errors.push({ field: spec.name, code: "invalid_format", message: "Enter a valid email address, like name@example.com." });
    else if (spec.minLength && value && value.length < spec.minLength)
      errors.push({ field: spec.name, code: "too_short", message: `Use at least ${spec.minLength} characters.` });
  }
  return errors;
}

/** The "new password" and "confirm" pair, the same wherever a password is chosen. */
export const newPasswordFields: FieldSpec[] = [
  {
    name: "newPassword",
    label: "New password",
    type: "password",
    autocomplete: "new-password",
    required: true,
    minLength: 8,
    maxLength: 256,
    hint: "At least 8 characters.",
    requiredMessage: "Choose a new password.",
  },
  { name: "confirmPassword", label: "Confirm new password", type: "password", autocomplete: "new-password", required: true, requiredMessage: "Type the new password again." },
];

/** The confirmation error of `newPasswordFields`, if the two differ. */
export function newPasswordMismatch(form: FormHandle): FieldError[] {
  const confirmation = form.value("confirmPassword");
  return confirmation && confirmation !== form.value("newPassword")
    ? [{ field: "confirmPassword", code: "mismatch", message: "The passwords don't match." }]
    : [];
}
