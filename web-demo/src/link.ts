// "Link this browser" (docs/FORMAT.md section 12): the viewer joins an account with the code a
// desktop shows (`screenpipe-sync link`, or the daemon's "Link a new device"), no password. The
// keys arrive sealed for this page only and stay in the Web Worker (a RemoteKeys handle), in
// memory: nothing of them is stored, so `Lock` (or closing the page) forgets them.
//
// The page relays the pairing through the server's mailbox (`/pair/*`, bearer token, the side
// token in X-Pair-Token); the worker's Joiner (the core's state machine) checks every message.

import type { MinimumKey } from '@screenpipe/sync-wasm';
import type { RemoteKeys, SyncWorker } from '@screenpipe/sync-wasm/worker';
import { byId } from './dom';
import { UnlockError } from './session';

const API_PATH = '/api/sync';
const POLL_MS = 250;
const SESSION_MS = 600_000;

/** One side's end of the mailbox. */
class Mailbox {
  private since = 0;
  private side = '';
  constructor(
    private readonly server: string,
    private readonly token: string,
    readonly mailbox: number,
  ) {}

  private async call(method: string, route: string, body?: string): Promise<unknown> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (this.side !== '') headers['X-Pair-Token'] = this.side;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.server}${API_PATH}/pair/${this.mailbox}${route}`, { method, headers, body, redirect: 'error' });
    if (res.status === 204) return null;
    const data = (await res.json().catch(() => ({}))) as { error?: string; code?: string };
    if (!res.ok) throw new UnlockError(data.code ?? `HTTP_${res.status}`, data.error ?? `the server answered ${res.status}`);
    return data;
  }

  async join(): Promise<void> {
    const opened = (await this.call('POST', '/join')) as { side_token: string };
    this.side = opened.side_token;
  }

  async post(message: string): Promise<void> {
    await this.call('POST', '/messages', message);
  }

  /** The desktop's next messages (waits for at least one). */
  async next(deadline: number): Promise<string[]> {
    for (;;) {
      if (Date.now() > deadline) throw new UnlockError('pairing_expired', 'The code expired (10 minutes).');
      const answer = (await this.call('GET', `/messages?since=${this.since}`)) as { messages: { seq: number; message: string }[] };
      if (answer.messages.length > 0) {
        this.since = answer.messages[answer.messages.length - 1].seq;
        return answer.messages.map((m) => m.message);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  async close(): Promise<void> {
    await this.call('DELETE', '').catch(() => null);
  }
}

export interface LinkOptions {
  server: string;
  token: string;
  code: string;
  worker: SyncWorker;
  deviceName: string;
  deviceOs: string;
  /** The rollback guard, as unlock takes it. */
  minimum: MinimumKey;
  onStep: (text: string) => void;
}

const MESSAGES: Record<string, string> = {
  pairing_failed: 'The code is wrong (or someone interfered). Start a new link on the desktop and type its new code.',
  pairing_denied: 'The desktop refused this browser: no key was sent.',
  pairing_expired: 'The code expired (10 minutes). Start a new link on the desktop.',
  PAIR_EXPIRED: 'The code expired (10 minutes). Start a new link on the desktop.',
  PAIR_TAKEN: 'This code was already used by another device. Start a new link on the desktop.',
  NOT_FOUND: 'No link with this code is open for this account. Check the code and the token.',
  invalid_input: 'That is not a code: a number and three words, like 4821-ocean-velvet-tiger.',
};

/** Joins with `code`: the account's keys, in the worker. */
export async function linkKeys(o: LinkOptions): Promise<RemoteKeys> {
  let joiner;
  try {
    joiner = await o.worker.joinStart(o.code, o.deviceName, o.deviceOs, Date.now());
  } catch (e) {
    throw explainLinkError(e);
  }
  const mailbox = new Mailbox(o.server, o.token, joiner.mailbox);
  const deadline = Date.now() + SESSION_MS;
  try {
    await mailbox.join();
    o.onStep('Waiting for the desktop…');
    for (;;) {
      for (const message of await mailbox.next(deadline)) {
        const step = await joiner.receive(message, Date.now(), o.minimum);
        if ('send' in step) for (const m of step.send) await mailbox.post(m);
        else if ('confirmed' in step) o.onStep('The code is right: approve this browser on the desktop.');
        else return step.keys;
      }
    }
  } catch (e) {
    throw explainLinkError(e);
  } finally {
    await mailbox.close();
    await joiner.free().catch(() => false);
  }
}

function explainLinkError(e: unknown): Error {
  const code = String((e as { code?: unknown })?.code ?? '');
  const text = MESSAGES[code];
  return text ? new UnlockError(code, text) : e instanceof Error ? e : new Error(String(e));
}

/** Wires the "Link this browser" form to `start(code)`. */
export function wireLink(start: (code: string) => void): void {
  const form = byId<HTMLFormElement>('link-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    start(byId<HTMLInputElement>('link-code').value.trim());
  });
}
