const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "12 Mar 2025, 14:05" in the reader's locale; the input unchanged if it is not a date. */
export function formatDateTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : dateTime.format(time);
}

/** "just now", "5 minutes ago", "yesterday"... */
export function timeAgo(iso: string, now = Date.now()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  const seconds = Math.round((time - now) / 1000);
  if (Math.abs(seconds) < 60) return "just now";
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 31536000],
    ["month", 2592000],
    ["week", 604800],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  const [unit, size] = units.find(([, length]) => Math.abs(seconds) >= length) ?? ["minute", 60];
  return relative.format(Math.round(seconds / size), unit);
}

/** "30 seconds", "2 minutes", "1 hour" for a wait in seconds. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return seconds <= 1 ? "a moment" : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return minutes === 1 ? "a minute" : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? "an hour" : `${hours} hours`;
}

/** "JBSW Y3DP EHPK 3PXP" for a secret typed by hand: groups of four, upper case. */
export function groupInFours(secret: string): string {
  return (secret.replace(/[\s=-]+/g, "").toUpperCase().match(/.{1,4}/g) ?? []).join(" ");
}

/** The six digits of an authenticator code as typed ("123 456", "123-456"), or null if it is not six digits. */
export function authenticatorCode(input: string): string | null {
  const digits = input.replace(/[\s-]+/g, "");
  return /^\d{6}$/.test(digits) ? digits : null;
}
