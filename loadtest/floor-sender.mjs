// The `floor` scenario's sender in Node.js (`loadtest floor --sender node`):
// what a Node server that writes one pre-built frame buffer per event
// straight to each socket spends per send, on the same machine and with the
// same frame as the Rust sender (src/scenario/floor.rs), which it mirrors:
//
//   node floor-sender.mjs <subscribers> <rate> <warmup ms> <duration ms> <frame hex>
//
// prints its port, accepts the subscribers, sends, and prints
// `sent <total> measured <sends> user <s> system <s> frame <bytes>`.
// process.cpuUsage() counts every thread of the process (libuv, V8's
// collector), as getrusage does for the Rust sender.
import net from 'node:net';

const [subscribers, rate, warmupMs, durationMs, frameHex] = process.argv.slice(2);
const n = Number(subscribers);
const period = 1000 / Number(rate);
const warmup = Number(warmupMs);
const duration = Number(durationMs);
if (!(n >= 1 && period > 0 && warmup >= 0 && duration > 0 && /^([0-9a-f]{2})+$/.test(frameHex ?? ''))) {
  process.stderr.write('usage: floor-sender.mjs <subscribers> <rate> <warmup ms> <duration ms> <frame hex>\n');
  process.exit(2);
}
const frame = Buffer.from(frameHex, 'hex');

// The generator holds our stdin: when it is gone, however it went, so are we.
process.stdin.on('end', () => process.exit(1));
process.stdin.resume();

const sockets = [];
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.setNoDelay(true);
  socket.on('error', (e) => {
    process.stderr.write(`floor-sender.mjs: ${e.message}\n`);
    process.exit(1);
  });
  sockets.push(socket);
  if (sockets.length === n) {
    server.close();
    send();
  }
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

function send() {
  const start = performance.now();
  const t0 = start + warmup;
  const t1 = t0 + duration;
  let next = start;
  let before = null;
  let total = 0;
  let measured = 0;
  // A tick belongs to the measured window by when it was due, so ticks a
  // late timer makes up are counted where they belong.
  const tick = () => {
    if (next >= t1) {
      finish(before ?? process.cpuUsage(), total, measured);
      return;
    }
    if (before === null && next >= t0) before = process.cpuUsage();
    for (const socket of sockets) socket.write(frame);
    total += n;
    if (before !== null) measured += n;
    next += period;
    setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
}

async function finish(before, total, measured) {
  // What a socket did not take at once is still in Node's hands: its
  // writing is part of the cost, so the reading waits for it.
  await Promise.all(
    sockets
      .filter((socket) => socket.writableLength > 0)
      .map((socket) => new Promise((resolve) => socket.once('drain', resolve))),
  );
  const used = process.cpuUsage(before);
  process.stdout.write(
    `sent ${total} measured ${measured} user ${used.user / 1e6} system ${used.system / 1e6} frame ${frame.length}\n`,
  );
  // Everything written reaches the kernel before the sockets close.
  let open = sockets.length;
  for (const socket of sockets) {
    socket.end(() => {
      open -= 1;
      if (open === 0) process.exit(0);
    });
  }
}
