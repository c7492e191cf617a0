import type { Api, LoginAnswer } from "../api/endpoints";
import type { AppStore, Notice } from "../state";

/** What every view gets from the composition root. */
export interface ViewContext {
  store: AppStore;
  api: Api;
  query: URLSearchParams;
  /** Aborted when the page is left, so late answers do not touch a page no longer shown. */
  signal: AbortSignal;
  navigate(to: string, options?: { replace?: boolean }): void;
  session: {
    /** Stores a new session, tells other tabs, and continues where the visitor wanted to go. */
    signedIn(answer: LoginAnswer, next?: string): void;
    /** Logs out here and in every other tab. */
    logout(): Promise<void>;
    /**
     * The session ended outside this tab's control (password reset, the account deleted): forget
     * it, tell other tabs, and keep `notice` for the login page.
     */
    forget(notice?: Notice): void;
  };
}

/** A page: returns its content; the root puts it in the right layout. */
export type View = (context: ViewContext) => Node;
