/** Roles as the Auth Server allows them: lower case, a letter first, at most 32 characters. */
export const rolePattern = /^[a-z][a-z0-9_-]{0,31}$/;

/** Every account has it; the server keeps it whatever is sent. */
export const everyAccountRole = "user";

export const adminRole = "admin";

export function isRoleName(name: string): boolean {
  return rolePattern.test(name);
}

/** The roles offered as checkboxes: `user` and `admin` first, then the account's others, alphabetically. */
export function roleChoices(current: readonly string[]): string[] {
  const others = current.filter((role) => role !== everyAccountRole && role !== adminRole);
  return [everyAccountRole, adminRole, ...[...new Set(others)].sort()];
}

/**
 * Role names typed into "Add roles", separated by commas or spaces: those the server accepts, once
 * each, and those it would refuse (as typed, to say which).
 */
export function parseRoles(text: string): { roles: string[]; invalid: string[] } {
  const names = text.split(/[\s,]+/).filter(Boolean);
  return {
    roles: [...new Set(names.filter(isRoleName))],
    invalid: names.filter((name) => !isRoleName(name)),
  };
}

/** The roles to send: those ticked and those added, once each, with `user` always, in the order of `roleChoices`. */
export function editedRoles(ticked: readonly string[], added: readonly string[]): string[] {
  const chosen = new Set([everyAccountRole, ...ticked, ...added]);
  return roleChoices([...chosen]).filter((role) => chosen.has(role));
}

/** Whether two lists hold the same roles, in any order. */
export function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((role) => right.has(role));
}
