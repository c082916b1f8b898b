/**
 * Per-session counters against HTTP/2 floods that cost the server work for nothing: streams the
 * client opens and resets at once (rapid reset, CVE-2023-44487) and SETTINGS frames sent over and
 * over (CVE-2019-9515). nghttp2 (1.57+, in Node 20 and 22) already rate-limits incoming RST_STREAM
 * frames and bounds unanswered SETTINGS ACKs; this guard is stricter and ours to set: past the limit
 * within one window the session gets GOAWAY (ENHANCE_YOUR_CALM) and is closed.
 */
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';

/** The counting window of both limits. */
export const FLOOD_WINDOW_MS = 10_000;

export interface FloodLimits {
  /** Streams a client may reset (before their response ended) per window. */
  readonly maxResetsPerWindow: number;
  /** SETTINGS frames a client may send per window. */
  readonly maxSettingsPerWindow: number;
}

/** Why a session was closed, for logs and tests. */
export type FloodKind = 'rapid-reset' | 'settings-flood';

class WindowCounter {
  private count = 0;
  private windowStart = 0;

  /** Counts one event; true when `limit` is passed within the current window. */
  hit(now: number, limit: number): boolean {
    if (now - this.windowStart >= FLOOD_WINDOW_MS) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count > limit;
  }
}

/** Watches one session; `onFlood` runs once, after the GOAWAY. */
export function guardSession(session: ServerHttp2Session, limits: FloodLimits, onFlood: (kind: FloodKind) => void): void {
  const resets = new WindowCounter();
  const settings = new WindowCounter();
  let tripped = false;
  const trip = (kind: FloodKind): void => {
    if (tripped) return;
    tripped = true;
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    session.destroy();
    onFlood(kind);
  };
  session.on('remoteSettings', () => {
    if (settings.hit(Date.now(), limits.maxSettingsPerWindow)) trip('settings-flood');
  });
  session.on('stream', (stream: ServerHttp2Stream) => {
    // `aborted`: the peer reset the stream before its response ended.
    stream.once('aborted', () => {
      if (resets.hit(Date.now(), limits.maxResetsPerWindow)) trip('rapid-reset');
    });
  });
}
