// An example applet in AssemblyScript: per device, count readings and keep
// the highest value of "temp_c" (or the config's field name); emit "new_max"
// when a device beats its record. State: "n/<device>" (u64), "max/<device>" (f64).
import * as w3b from "./w3b";
export { alloc } from "./w3b";

// numberField finds "name":<number> in a flat JSON object.
function numberField(json: string, name: string): f64 {
  const key = "\"" + name + "\":";
  let i = json.indexOf(key);
  if (i < 0) return NaN;
  i += key.length;
  let j = i;
  while (j < json.length) {
    const c = json.charCodeAt(j);
    if (c == 44 || c == 125) break; // ',' '}'
    j++;
  }
  return parseFloat(json.substring(i, j).trim());
}

export function handle(ptr: usize, len: i32): i32 {
  const payload = String.UTF8.decodeUnsafe(ptr, len);
  const field = w3b.config().length > 0 ? w3b.config() : "temp_c";
  const v = numberField(payload, field);
  if (isNaN(v)) {
    w3b.log(w3b.LEVEL_ERROR, "payload has no number \"" + field + "\"");
    return 1;
  }
  const dev = w3b.deviceId();
  w3b.setU64("n/" + dev, w3b.getU64("n/" + dev) + 1);
  const best = w3b.getF64("max/" + dev);
  if (isNaN(best) || v > best) {
    w3b.setF64("max/" + dev, v);
    w3b.emit("new_max", dev + " " + v.toString());
  }
  return 0;
}
