import type { Logger } from "../logging/logger";
import type { OutboxStore, PendingEntry } from "./outboxPort";

// Firestore's `in` filter takes at most 30 values.
const IN_LIMIT = 30;
const RESUBSCRIBE_DEBOUNCE_MS = 200;
// The oldest entries only: a listener's cost grows with its result set, and the account loops
// need just the next few; later ones enter the window as earlier ones are claimed.
const WINDOW = 100;

/**
 * One listener per 30 connected accounts for their `queued` outbox entries, rather than one
 * per account: far fewer listeners for Firestore (and its emulator) to keep up to date.
 * Resubscribes when the set of connected accounts changes.
 */
export class OutboxWatcher {
  private accounts = new Set<string>();
  private unsubscribes: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: Pick<OutboxStore, "watchQueued">,
    private readonly logger: Logger,
    private readonly onQueued: (entry: PendingEntry) => void,
  ) {}

  add(accountId: string): void {
    if (this.accounts.has(accountId)) return;
    this.accounts.add(accountId);
    this.scheduleResubscribe();
  }

  remove(accountId: string): void {
    if (this.accounts.delete(accountId)) this.scheduleResubscribe();
  }

  private scheduleResubscribe(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.resubscribe(), RESUBSCRIBE_DEBOUNCE_MS);
  }

  private resubscribe(): void {
    this.unsubscribes.forEach((u) => u());
    this.unsubscribes = [];
    if (this.stopped) return;
    const ids = [...this.accounts].sort();
    for (let i = 0; i < ids.length; i += IN_LIMIT) {
      const chunk = ids.slice(i, i + IN_LIMIT);
      this.unsubscribes.push(
        this.store.watchQueued(chunk, WINDOW, this.onQueued, (err) =>
          this.logger.error({ accounts: chunk.length, err }, "outbox_listener_failed"),
        ),
      );
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribes.forEach((u) => u());
    this.unsubscribes = [];
  }
}
