import type { Problem } from "../api/problem";
import { describeProblem } from "../messages";

/** What an administrator was doing when a problem came back: some codes read differently for each. */
export type AdminAction = "load" | "disable" | "enable" | "roles" | "end-sessions";

export const notAllowedText = "You're not allowed to see this page. It is for administrators only.";

/** An administration problem in words (`self_lockout`, `forbidden`, `not_found`, …). */
export function describeAdminProblem(problem: Problem, action: AdminAction = "load"): string {
  switch (problem.code) {
    case "forbidden":
      return action === "load" ? notAllowedText : "You're not allowed to do this. It needs the admin role.";
    case "self_lockout":
      if (action === "disable") return "You can't disable your own account. Another administrator can.";
      if (action === "roles") return "You can't remove your own admin role. Another administrator can.";
      return problem.detail || "You can't lock yourself out of administration.";
    case "not_found":
      return "That account no longer exists.";
    case "validation_failed":
      if (action === "roles") return problem.errors?.[0]?.message ?? roleRuleText;
      break;
  }
  return describeProblem(problem);
}

export const roleRuleText = "Role names are lower-case letters, digits, - and _, start with a letter and have at most 32 characters.";

/** "Ended 1 session." / "Ended 3 sessions." / "There were no sessions to end." */
export function endedSessionsText(revoked: unknown): string {
  if (typeof revoked !== "number") return "Ended every session of this account.";
  if (revoked === 0) return "There were no sessions to end.";
  return revoked === 1 ? "Ended 1 session." : `Ended ${revoked} sessions.`;
}
