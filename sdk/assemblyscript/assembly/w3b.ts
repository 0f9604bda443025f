// AssemblyScript bindings for the w3bd applet ABI (module "w3b"); see
// x/applets/README.md. Build with --runtime stub: an instance lives for one
// block, so a bump allocator is enough and nothing depends on a collector.

@external("w3b", "log") declare function host_log(level: i32, ptr: usize, len: i32): void;
@external("w3b", "event_device") declare function host_event_device(ptr: usize, cap: i32): i32;
@external("w3b", "event_stream") declare function host_event_stream(): i64;
@external("w3b", "event_seq") declare function host_event_seq(): i64;
@external("w3b", "event_time") declare function host_event_time(): i64;
@external("w3b", "block_height") declare function host_block_height(): i64;
@external("w3b", "block_time") declare function host_block_time(): i64;
@external("w3b", "config") declare function host_config(ptr: usize, cap: i32): i32;
@external("w3b", "state_get") declare function host_state_get(kptr: usize, klen: i32, vptr: usize, vcap: i32): i32;
@external("w3b", "state_set") declare function host_state_set(kptr: usize, klen: i32, vptr: usize, vlen: i32): void;
@external("w3b", "state_delete") declare function host_state_delete(kptr: usize, klen: i32): void;
@external("w3b", "emit") declare function host_emit(tptr: usize, tlen: i32, dptr: usize, dlen: i32): void;

export const LEVEL_DEBUG: i32 = 0;
export const LEVEL_INFO: i32 = 1;
export const LEVEL_WARN: i32 = 2;
export const LEVEL_ERROR: i32 = 3;

// alloc is the ABI export the host copies each payload into.
export function alloc(size: i32): usize {
  return heap.alloc(<usize>max(size, 1));
}

function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

export function log(level: i32, msg: string): void {
  const b = utf8(msg);
  host_log(level, changetype<usize>(b), b.byteLength);
}

export function deviceId(): string {
  const buf = new ArrayBuffer(64);
  let n = host_event_device(changetype<usize>(buf), 64);
  if (n > 64) {
    const big = new ArrayBuffer(n);
    n = host_event_device(changetype<usize>(big), n);
    return String.UTF8.decodeUnsafe(changetype<usize>(big), n);
  }
  return String.UTF8.decodeUnsafe(changetype<usize>(buf), n);
}

export function streamId(): i64 { return host_event_stream(); }
export function seq(): i64 { return host_event_seq(); }
export function eventTime(): i64 { return host_event_time(); }
export function blockHeight(): i64 { return host_block_height(); }
export function blockTime(): i64 { return host_block_time(); }

export function config(): string {
  const buf = new ArrayBuffer(1024);
  let n = host_config(changetype<usize>(buf), 1024);
  if (n > 1024) {
    const big = new ArrayBuffer(n);
    n = host_config(changetype<usize>(big), n);
    return String.UTF8.decodeUnsafe(changetype<usize>(big), n);
  }
  return String.UTF8.decodeUnsafe(changetype<usize>(buf), n);
}

// getF64 reads 8 little-endian bytes stored by setF64; NaN when absent.
export function getF64(key: string): f64 {
  const k = utf8(key);
  const v = new ArrayBuffer(8);
  const n = host_state_get(changetype<usize>(k), k.byteLength, changetype<usize>(v), 8);
  if (n != 8) return NaN;
  return load<f64>(changetype<usize>(v));
}

export function setF64(key: string, value: f64): void {
  const k = utf8(key);
  const v = new ArrayBuffer(8);
  store<f64>(changetype<usize>(v), value);
  host_state_set(changetype<usize>(k), k.byteLength, changetype<usize>(v), 8);
}

export function getU64(key: string): u64 {
  const k = utf8(key);
  const v = new ArrayBuffer(8);
  const n = host_state_get(changetype<usize>(k), k.byteLength, changetype<usize>(v), 8);
  if (n != 8) return 0;
  return load<u64>(changetype<usize>(v));
}

export function setU64(key: string, value: u64): void {
  const k = utf8(key);
  const v = new ArrayBuffer(8);
  store<u64>(changetype<usize>(v), value);
  host_state_set(changetype<usize>(k), k.byteLength, changetype<usize>(v), 8);
}

export function remove(key: string): void {
  const k = utf8(key);
  host_state_delete(changetype<usize>(k), k.byteLength);
}

export function emit(topic: string, data: string): void {
  const t = utf8(topic);
  const d = utf8(data);
  host_emit(changetype<usize>(t), t.byteLength, changetype<usize>(d), d.byteLength);
}

// abort replaces AssemblyScript's env.abort import (--use abort=...): the
// message goes to the log and the event traps.
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let msg = "abort";
  if (message !== null) msg += ": " + message;
  if (fileName !== null) msg += " at " + fileName + ":" + line.toString();
  log(LEVEL_ERROR, msg);
  unreachable();
}
