// A small MessagePack encoder/decoder in plain JavaScript for k6 (no npm,
// no bundling). It covers what Corkboard's wire protocol needs and a bit
// more: nil, booleans, integers (smallest representation, as rmp-serde
// writes them), float64, UTF-8 strings, binary, arrays and maps with string
// keys. Encoding an object writes a map of its own enumerable keys in
// insertion order and skips `undefined` values, so `encode(JSON.parse(s))`
// gives the same bytes as the server's encoder (checked against every
// example in protocol/PROTOCOL.md by `lib/selftest.js`).
//
// k6 runs JavaScript in an interpreter where every loop iteration is
// costly, so nothing here loops per byte: string bytes go through native
// code (`String.fromCharCode.apply` on a byte view for ASCII, k6's base64
// functions for UTF-8), whole byte runs are copied with `Uint8Array.set`,
// and the encoded form of short strings (keys, type names, ids) is cached.

import encoding from 'k6/encoding';

const TWO_32 = 4294967296;
/** Strings up to this many UTF-16 units have their encoded bytes cached. */
const CACHE_STR_MAX = 64;
/** Cached strings at most (the cache stops growing, it is never evicted). */
const CACHE_ENTRIES_MAX = 8192;
/** Strings up to this many bytes are decoded as ASCII when they are ASCII. */
const ASCII_FAST_MAX = 1024;
const NON_ASCII = /[^\x00-\x7f]/;

// ---------------------------------------------------------------- encoder

let out = new Uint8Array(4096);
let outView = new DataView(out.buffer);
let pos = 0;
const strCache = new Map();

function ensure(n) {
  if (pos + n <= out.length) return;
  let size = out.length * 2;
  while (size < pos + n) size *= 2;
  const bigger = new Uint8Array(size);
  bigger.set(out.subarray(0, pos));
  out = bigger;
  outView = new DataView(out.buffer);
}

/** Encode `value` as MessagePack; returns an ArrayBuffer. */
export function encode(value) {
  pos = 0;
  write(value);
  return out.buffer.slice(0, pos);
}

function byte(b) {
  ensure(1);
  out[pos++] = b;
}

function header(tag, size, n) {
  ensure(1 + size);
  out[pos++] = tag;
  if (size === 1) out[pos] = n;
  else if (size === 2) outView.setUint16(pos, n);
  else outView.setUint32(pos, n);
  pos += size;
}

function writeInt(n) {
  if (n >= 0) {
    if (n < 128) byte(n);
    else if (n < 256) header(0xcc, 1, n);
    else if (n < 65536) header(0xcd, 2, n);
    else if (n < TWO_32) header(0xce, 4, n);
    else {
      header(0xcf, 4, Math.floor(n / TWO_32));
      ensure(4);
      outView.setUint32(pos, n % TWO_32);
      pos += 4;
    }
  } else if (n >= -32) byte(n & 0xff);
  else if (n >= -128) header(0xd0, 1, n & 0xff);
  else if (n >= -32768) header(0xd1, 2, n & 0xffff);
  else if (n >= -2147483648) header(0xd2, 4, n >>> 0);
  else {
    const hi = Math.floor(n / TWO_32);
    header(0xd3, 4, hi >>> 0);
    ensure(4);
    outView.setUint32(pos, n - hi * TWO_32);
    pos += 4;
  }
}

function writeFloat(n) {
  ensure(9);
  out[pos++] = 0xcb;
  outView.setFloat64(pos, n);
  pos += 8;
}

/** UTF-8 bytes of `s` (native), as a Uint8Array. */
function utf8(s) {
  return s.length === 0 ? new Uint8Array(0) : new Uint8Array(encoding.b64decode(encoding.b64encode(s)));
}

function strHeader(n) {
  if (n < 32) byte(0xa0 | n);
  else if (n < 256) header(0xd9, 1, n);
  else if (n < 65536) header(0xda, 2, n);
  else header(0xdb, 4, n);
}

function writeBytes(bytes) {
  ensure(bytes.length);
  out.set(bytes, pos);
  pos += bytes.length;
}

function writeStr(s) {
  const cached = strCache.get(s);
  if (cached !== undefined) return writeBytes(cached);
  const start = pos;
  const bytes = utf8(s);
  strHeader(bytes.length);
  writeBytes(bytes);
  if (s.length <= CACHE_STR_MAX && strCache.size < CACHE_ENTRIES_MAX) strCache.set(s, out.slice(start, pos));
}

function writeBin(bytes) {
  const n = bytes.length;
  if (n < 256) header(0xc4, 1, n);
  else if (n < 65536) header(0xc5, 2, n);
  else header(0xc6, 4, n);
  writeBytes(bytes);
}

function collection(n, fix, b16, b32) {
  if (n < 16) byte(fix | n);
  else if (n < 65536) header(b16, 2, n);
  else header(b32, 4, n);
}

function write(v) {
  if (v === null || v === undefined) byte(0xc0);
  else if (v === true) byte(0xc3);
  else if (v === false) byte(0xc2);
  else if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) writeInt(v);
    else writeFloat(v);
  } else if (typeof v === 'string') writeStr(v);
  else if (v instanceof ArrayBuffer) writeBin(new Uint8Array(v));
  else if (v instanceof Uint8Array) writeBin(v);
  else if (Array.isArray(v)) {
    collection(v.length, 0x90, 0xdc, 0xdd);
    for (let i = 0; i < v.length; i++) write(v[i]);
  } else if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    collection(keys.length, 0x80, 0xde, 0xdf);
    for (let i = 0; i < keys.length; i++) {
      writeStr(keys[i]);
      write(v[keys[i]]);
    }
  } else {
    throw new Error(`msgpack: cannot encode a ${typeof v}`);
  }
}

// ---------------------------------------------------------------- decoder

let b;
let view;
let p;

/** Decode one MessagePack value from an ArrayBuffer or Uint8Array. */
export function decode(data) {
  b = data instanceof Uint8Array ? data : new Uint8Array(data);
  view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  p = 0;
  const value = read();
  if (p !== b.length) throw new Error(`msgpack: ${b.length - p} trailing bytes after the value`);
  return value;
}

function need(n) {
  if (p + n > b.length) throw new Error(`msgpack: truncated at byte ${p} (needs ${n} more)`);
}

function readStr(n) {
  need(n);
  if (n === 0) return '';
  const start = p;
  p += n;
  if (n <= ASCII_FAST_MAX) {
    const s = String.fromCharCode.apply(null, b.subarray(start, p));
    if (!NON_ASCII.test(s)) return s;
  }
  const bytes = b.buffer.slice(b.byteOffset + start, b.byteOffset + p);
  return encoding.b64decode(encoding.b64encode(bytes), 'std', 's');
}

function readArray(n) {
  const a = new Array(n);
  for (let i = 0; i < n; i++) a[i] = read();
  return a;
}

function readMap(n) {
  const o = {};
  for (let i = 0; i < n; i++) {
    const k = read();
    o[k] = read();
  }
  return o;
}

function readBin(n) {
  need(n);
  p += n;
  return b.slice(p - n, p);
}

function readExt(n) {
  need(1);
  const type = view.getInt8(p++);
  return { ext: type, data: readBin(n) };
}

/** Read an unsigned length of `size` bytes. */
function len(size) {
  need(size);
  p += size;
  if (size === 1) return b[p - 1];
  return size === 2 ? view.getUint16(p - 2) : view.getUint32(p - 4);
}

function num(size, get) {
  need(size);
  p += size;
  return get(p - size);
}

function read() {
  need(1);
  const c = b[p++];
  if (c < 0x80) return c;
  if (c < 0x90) return readMap(c & 0x0f);
  if (c < 0xa0) return readArray(c & 0x0f);
  if (c < 0xc0) return readStr(c & 0x1f);
  if (c >= 0xe0) return c - 256;
  switch (c) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return readBin(len(1));
    case 0xc5: return readBin(len(2));
    case 0xc6: return readBin(len(4));
    case 0xc7: return readExt(len(1));
    case 0xc8: return readExt(len(2));
    case 0xc9: return readExt(len(4));
    case 0xca: return num(4, (i) => view.getFloat32(i));
    case 0xcb: return num(8, (i) => view.getFloat64(i));
    case 0xcc: return len(1);
    case 0xcd: return len(2);
    case 0xce: return len(4);
    case 0xcf: return num(8, (i) => view.getUint32(i) * TWO_32 + view.getUint32(i + 4));
    case 0xd0: return num(1, (i) => view.getInt8(i));
    case 0xd1: return num(2, (i) => view.getInt16(i));
    case 0xd2: return num(4, (i) => view.getInt32(i));
    case 0xd3: return num(8, (i) => view.getInt32(i) * TWO_32 + view.getUint32(i + 4));
    case 0xd4: return readExt(1);
    case 0xd5: return readExt(2);
    case 0xd6: return readExt(4);
    case 0xd7: return readExt(8);
    case 0xd8: return readExt(16);
    case 0xd9: return readStr(len(1));
    case 0xda: return readStr(len(2));
    case 0xdb: return readStr(len(4));
    case 0xdc: return readArray(len(2));
    case 0xdd: return readArray(len(4));
    case 0xde: return readMap(len(2));
    case 0xdf: return readMap(len(4));
    default: throw new Error(`msgpack: byte 0x${c.toString(16)} at ${p - 1} is not a valid type`);
  }
}
