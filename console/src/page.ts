import type { Session } from './api.js';

/** A page: builds itself into `main`; stops its requests and subscriptions when `signal` aborts. */
export type Page = (session: Session, main: HTMLElement, signal: AbortSignal, args: string[]) => void;
