// Self-test of the MessagePack codec, no server needed:
//
//   k6 run loadtest/k6/lib/selftest.js
//
// Every example of protocol/PROTOCOL.md that has both a JSON and a
// MessagePack (hex) form is encoded from the JSON and compared byte for byte
// with the hex (produced by the server's own encoder), and decoded from the
// hex and compared with the JSON. Edge cases (integer widths, UTF-8, floats,
// long strings, arrays and maps) are round-tripped. The run fails (exit code
// 99) when any check fails.

import { check } from 'k6';
import { encode, decode } from './msgpack.js';

const SPEC = open('../../../protocol/PROTOCOL.md');

export const options = {
  iterations: 1,
  vus: 1,
  thresholds: { checks: ['rate==1'] },
};

/** Every `(json, hex)` example pair of the spec. */
function examples(md) {
  const re = /```json\n([^\n]+)\n```\s*\nMessagePack \(hex\):\s*\n```text\n([0-9a-f \n]+)```/g;
  const out = [];
  let m;
  while ((m = re.exec(md)) !== null) out.push({ json: m[1], hex: m[2].replace(/\s+/g, '') });
  return out;
}

function toHex(buf) {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

function fromHex(hex) {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.substr(i * 2, 2), 16);
  return b.buffer;
}

const EDGE_CASES = [
  0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 1767225600000,
  Number.MAX_SAFE_INTEGER, -1, -32, -33, -128, -129, -32768, -32769, -2147483648,
  -2147483649, -Number.MAX_SAFE_INTEGER, 0.5, -1.25e300, true, false, null, '',
  'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(255), 'w'.repeat(256), 'v'.repeat(70000),
  'é ü € 𝄞 日本語 «»', 'é'.repeat(600), `${'a'.repeat(900)}ü`, [], [1, [2, [3]]], Array.from({ length: 20 }, (_, i) => i),
  Array.from({ length: 70000 }, (_, i) => i % 7), {},
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
  { nested: { a: [1, 'b', null], c: { d: -7 } } },
];

export default function () {
  const pairs = examples(SPEC);
  check(pairs, { 'PROTOCOL.md has MessagePack examples': (p) => p.length >= 10 });
  for (const { json, hex } of pairs) {
    const value = JSON.parse(json);
    const label = `${value.type} example`;
    const encoded = toHex(encode(value));
    const ok = check(null, {
      [`${label} encodes to the spec's bytes`]: () => encoded === hex,
      [`${label} decodes to the spec's JSON`]: () => JSON.stringify(decode(fromHex(hex))) === json,
    });
    if (!ok) console.error(`${label}\n want ${hex}\n got  ${encoded}`);
  }
  for (const value of EDGE_CASES) {
    const back = decode(encode(value));
    const shown = JSON.stringify(value);
    check(null, {
      [`round trip ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}`]: () =>
        JSON.stringify(back) === shown,
    });
  }
  check(null, {
    "'é' encodes as a2 c3 a9": () => toHex(encode('é')) === 'a2c3a9',
    '{"k":-1,"b":[1.5]} encodes exactly': () => toHex(encode({ k: -1, b: [1.5] })) === '82a16bffa16291cb3ff8000000000000',
    'truncated input is refused': () => {
      try {
        decode(fromHex('a5616263'));
        return false;
      } catch (e) {
        return String(e).includes('truncated');
      }
    },
    'trailing bytes are refused': () => {
      try {
        decode(fromHex('0102'));
        return false;
      } catch (e) {
        return String(e).includes('trailing');
      }
    },
  });
}
