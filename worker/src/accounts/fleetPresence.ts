import { fleetShares, handOverChoice, MOVE_EVERY_MS } from "@wa-gateway/core/accounts";
import type { Logger } from "../logging/logger";
import type { ServerClock } from "../serverClock";
import type { FleetMember, FleetStore } from "./fleetStore";

/** How long a shutdown waits to leave the fleet. */
const LEAVE_WITHIN_MS = 1_000;

/** A held account, as a hand-over needs it. */
export interface HandedAccount {
  accountId: string;
  stoppingForPerson: boolean;
  /** Gives the lease back as a planned move, after the in-flight send. */
  handOver(): Promise<void>;
}

/** Each live worker's share of the accounts that want a socket: this one's, and each other's with its member. */
export interface Shares {
  mine: number;
  others: { member: FleetMember; share: number }[];
}

export interface FleetPresenceOptions {
  workerId: string;
  maxAccounts: number;
  fleet: FleetStore;
  /** Firestore's clock: which workers are live is judged on it. */
  clock: ServerClock;
  logger: Logger;
  /** How many accounts this worker holds now (what it announces). */
  held: () => number;
  /** The fleet changed: shares may have moved. */
  changed: () => void;
}

/**
 * This worker's place among the running workers: it listens to their documents, announces itself
 * (and how many accounts it holds), hands its excess over when its share shrinks, and leaves when
 * it stops. Announcements go one at a time, off the caller's path: a Firestore that does not
 * answer must hold neither renewals nor a shutdown.
 */
export class FleetPresence {
  /** The workers' documents; undefined until the first snapshot (no share is known before). */
  private members: FleetMember[] | undefined;
  private announcing: Promise<void> | undefined;
  private announceAgain = false;
  private announced = false;
  /** What the last announcement said this worker held. */
  private announcedHeld = -1;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  /** Over its share with nothing it may move, or nobody with room (logged once, until that changes). */
  private overShare = false;
  /** Hand-overs under way (the shutdown waits for them: each releases its own lease). */
  private readonly handingOver = new Set<Promise<void>>();

  constructor(private readonly o: FleetPresenceOptions) {}

  watch(): void {
    this.unsubscribe = this.o.fleet.watch(
      (members) => {
        this.members = members;
        this.o.changed();
      },
      (err) => this.o.logger.error({ err }, "fleet_listener_failed"),
    );
  }

  /** Whether the workers' documents have arrived, so shares can be computed. */
  get known(): boolean {
    return this.members !== undefined;
  }

  /** Each live worker's share (this one too) of `wanted` accounts, within each one's cap. */
  shares(wanted: number): Shares {
    const nowMs = this.o.clock.now();
    const others = (this.members ?? []).filter((m) => m.untilMs > nowMs && m.workerId !== this.o.workerId);
    const shares = fleetShares(wanted, [...others, { workerId: this.o.workerId, maxAccounts: this.o.maxAccounts }]);
    return {
      mine: shares.get(this.o.workerId)!,
      others: others.map((member) => ({ member, share: shares.get(member.workerId)! })),
    };
  }

  /**
   * Hands what is over `shares.mine` to the others: only into the room they last announced, and
   * only accounts that have not moved within MOVE_EVERY_MS (core's handOverChoice). Off the pass:
   * a hand-over waits for the account's in-flight send (up to SEND_TIMEOUT_MS), and the other
   * accounts' renewals must not wait with it. Each account leaves the manager at once.
   */
  handOverExcess(shares: Shares, held: readonly HandedAccount[], movedAtMs: (accountId: string) => number): void {
    const { mine, others } = shares;
    const { excess, room, moving } = handOverChoice(
      held.map(({ accountId, stoppingForPerson }) => ({
        accountId,
        movedAtMs: movedAtMs(accountId),
        stoppingForPerson,
      })),
      mine,
      others.map(({ member, share }) => ({ held: member.held, share })),
      this.o.clock.now(),
      MOVE_EVERY_MS,
    );
    if (excess <= 0) {
      this.overShare = false;
      return;
    }
    if (moving.length === 0) {
      if (!this.overShare) this.o.logger.info({ held: held.length, share: mine, room }, "accounts_over_share");
      this.overShare = true;
      return;
    }
    this.overShare = false;
    this.o.logger.info({ held: held.length, share: mine, room, moving: moving.length }, "accounts_handing_over");
    const byId = new Map(held.map((account) => [account.accountId, account]));
    const handing = Promise.all(moving.map((accountId) => byId.get(accountId)!.handOver())).then(
      () => undefined,
      (err: Error) => this.o.logger.error({ err }, "accounts_hand_over_failed"),
    );
    this.handingOver.add(handing);
    void handing.finally(() => this.handingOver.delete(handing));
  }

  /** Resolves once every hand-over under way has given its lease back. */
  async handOversDone(): Promise<void> {
    await Promise.all(this.handingOver);
  }

  /** This worker runs (the others count it in their share), holding what it holds now. */
  announce(): void {
    if (this.stopped) return;
    if (this.announcing) {
      this.announceAgain = true;
      return;
    }
    this.announced = true;
    const held = this.o.held();
    this.announcing = this.o.fleet
      .announce(held)
      .then(() => {
        this.announcedHeld = held;
      })
      .catch((err: Error) => this.o.logger.warn({ err: err.message }, "fleet_announce_failed"))
      .finally(() => {
        this.announcing = undefined;
        if (this.announceAgain) {
          this.announceAgain = false;
          this.announce();
        }
      });
  }

  /** The others size their hand-overs by what this one holds: says so when it changed. */
  announceIfChanged(): void {
    if (this.announced && this.o.held() !== this.announcedHeld) this.announce();
  }

  /** Stops listening and announcing (the shutdown begins). */
  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }

  /**
   * Gone from the fleet at once: the others' share grows and they take the accounts now. Bounded:
   * an unreachable Firestore must not hold the shutdown (the document then lapses with its lease).
   */
  async leave(): Promise<void> {
    if (!this.announced) return;
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      // After an announcement still in flight, which would bring the document back after the delete.
      Promise.resolve(this.announcing)
        .then(() => this.o.fleet.leave())
        .catch((err: Error) => this.o.logger.warn({ err: err.message }, "fleet_leave_failed")),
      new Promise((resolve) => (bound = setTimeout(resolve, LEAVE_WITHIN_MS))),
    ]);
    clearTimeout(bound);
  }
}
