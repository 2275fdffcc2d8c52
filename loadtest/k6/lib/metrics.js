// Custom metrics shared by the WebSocket scripts. Declared once here (k6
// needs metrics created in the init context; importing this module does
// that), so every script reports the same names.

import { Counter, Rate, Trend } from 'k6/metrics';

/** Statistics printed for every trend in the end-of-test summary. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'];

/** Command sent → its event received by another session (ms). */
export const deliveryLatency = new Trend('delivery_latency', true);
/** Command sent → its `ack` received by the sender (ms). */
export const ackLatency = new Trend('ack_latency', true);
/** `subscribe{since}` sent → the catch-up is complete (its `presence` arrived) (ms). */
export const resumeLatency = new Trend('resume_latency', true);

/** Board events received (all sessions). */
export const eventsReceived = new Counter('events_received');
/** Commands sent. */
export const commandsSent = new Counter('commands_sent');
/** Commands acknowledged (committed). */
export const commandsAcked = new Counter('commands_acked');
/** Whether a command's answer was `rejected` (tagged with `code`). */
export const commandRejected = new Rate('command_rejected');
/** Commands not sent because too many were already in flight. */
export const commandsSkipped = new Counter('commands_skipped');

/** Seqs missing between two events of a subscription (must stay 0). */
export const seqGaps = new Counter('seq_gaps');
/** Events at or below a seq already seen (must stay 0). */
export const seqDuplicates = new Counter('seq_duplicates');
/** Events a subscriber never got: board's final seq − its last seq (must stay 0). */
export const eventsMissing = new Counter('events_missing');

/** `error` messages from the server, tagged with `code` (must stay 0). */
export const wsErrors = new Counter('ws_errors');
/** Sockets closed by the server or the network when the script did not ask (tagged `code`). */
export const unexpectedCloses = new Counter('unexpected_closes');
/** Sessions that got `welcome` (authenticated). */
export const sessionsWelcomed = new Counter('sessions_welcomed');
