// Verifies a honestmeter ledger bundle in the browser (WebCrypto), exactly as DESIGN §4:
// leaf = SHA-256(0x00 || record bytes); RFC 9162 §2.1.3.2 inclusion; C2SP signed-note checkpoint (Ed25519).
"use strict";

const enc = new TextEncoder();
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (s) => new Uint8Array((s.replace(/^0x/, "").match(/../g) || []).map((h) => parseInt(h, 16)));
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
};
const sha256 = async (data) => new Uint8Array(await crypto.subtle.digest("SHA-256", data));
const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const leafHash = (data) => sha256(concat(new Uint8Array([0]), data));
const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

// RFC 9162 §2.1.3.2, with the inner shift loop that naive ports drop.
async function verifyInclusion(leaf, index, size, path, root) {
  if (index >= size) return false;
  let fn = BigInt(index), sn = BigInt(size - 1), r = leaf;
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

// C2SP signed note: body, blank line, "— <name> <base64(keyhash4 || sig)>" lines; Ed25519 over the body.
async function openCheckpoint(note, verifierKey) {
  // <name>+<hash hex>+<base64 key>: the base64 part may itself contain "+", so split twice only.
  const first = verifierKey.indexOf("+");
  const second = verifierKey.indexOf("+", first + 1);
  if (first < 1 || second < 0) throw new Error("malformed verifier key");
  const name = verifierKey.slice(0, first);
  const keyHashHex = verifierKey.slice(first + 1, second);
  const keyB64 = verifierKey.slice(second + 1);
  const keyBytes = b64(keyB64);
  if (keyBytes[0] !== 1) throw new Error("not an Ed25519 verifier key");
  const split = note.indexOf("\n\n");
  if (split < 0) throw new Error("malformed checkpoint");
  const body = note.slice(0, split + 1);
  const lines = body.split("\n");
  const sigLines = note.slice(split + 2).split("\n").filter((l) => l.startsWith("\u2014 " + name + " "));
  if (!sigLines.length) throw new Error("no signature by " + name);
  const key = await crypto.subtle.importKey("raw", keyBytes.slice(1), { name: "Ed25519" }, false, ["verify"]);
  for (const line of sigLines) {
    const sig = b64(line.split(" ")[2]);
    if (hex(sig.slice(0, 4)) !== keyHashHex) continue;
    if (await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(4), enc.encode(body))) {
      return { origin: lines[0], size: Number(lines[1]), root: b64(lines[2]) };
    }
  }
  throw new Error("signature does not verify");
}

async function verifyBundle(bundle, publishedKey) {
  const checks = [];
  const add = (ok, text) => checks.push({ ok, text });
  const raw = b64(bundle.canonical_b64);
  const leaf = await leafHash(raw);
  add(hex(leaf) === bundle.leaf_hash, "叶子哈希 = SHA-256(0x00‖记录字节)");
  const root = unhex(bundle.root_hash);
  const path = bundle.audit_path.map(unhex);
  add(await verifyInclusion(leaf, bundle.leaf_index, bundle.tree_size, path, root),
      `默克尔包含证明：第 ${bundle.leaf_index} 号叶子 → 规模 ${bundle.tree_size} 的树根`);
  try {
    const head = await openCheckpoint(bundle.checkpoint || "", bundle.log_key);
    add(head.size === bundle.tree_size && equal(head.root, root), `签名树头（${head.origin}）与树根一致，Ed25519 签名有效`);
  } catch (err) {
    add(false, "签名树头：" + err.message);
  }
  if (publishedKey) add(bundle.log_key === publishedKey, "签名密钥与本平台公布的日志公钥一致");
  const anchor = bundle.anchor;
  add(!!anchor && anchor.tree_size === bundle.tree_size && anchor.root_hash === bundle.root_hash,
      anchor ? `已锚定在链 ${anchor.chain_id} 的合约 ${anchor.contract}（交易 ${anchor.tx_hash}，区块 ${anchor.block_number}）`
             : "尚未锚定上链");
  return checks;
}

function show(section, checks, bundle) {
  const ok = checks.every((c) => c.ok);
  const result = document.getElementById("result");
  result.hidden = false;
  result.className = "card " + (ok ? "verify-ok" : "verify-bad");
  document.getElementById("result-title").textContent = ok ? section.dataset.msgValid : section.dataset.msgInvalid;
  const list = document.getElementById("result-checks");
  list.replaceChildren(...checks.map((c) => {
    const li = document.createElement("li");
    li.className = c.ok ? "pass" : "fail";
    li.textContent = (c.ok ? "✓ " : "✗ ") + c.text;
    return li;
  }));
  const facts = document.getElementById("result-facts");
  const rows = [["叶子序号", bundle.leaf_index], ["叶子哈希", bundle.leaf_hash], ["树规模", bundle.tree_size], ["树根", bundle.root_hash]];
  facts.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.className = "mono"; dd.textContent = String(v);
    return [dt, dd];
  }));
  let record;
  try { record = JSON.stringify(JSON.parse(new TextDecoder().decode(b64(bundle.canonical_b64))), null, 2); }
  catch { record = "—"; }
  document.getElementById("result-record").textContent = record;
  result.dataset.valid = String(ok);
}

function fail(section, message) {
  const result = document.getElementById("result");
  result.hidden = false;
  result.className = "card verify-bad";
  result.dataset.valid = "false";
  document.getElementById("result-title").textContent = section.dataset.msgInvalid;
  const li = document.createElement("li");
  li.className = "fail";
  li.textContent = "✗ " + message;
  document.getElementById("result-checks").replaceChildren(li);
  document.getElementById("result-facts").replaceChildren();
  document.getElementById("result-record").textContent = "";
}

async function run(section, bundle) {
  try {
    show(section, await verifyBundle(bundle, section.dataset.logKey), bundle);
  } catch (err) {
    fail(section, err.message);
  }
}

async function fetchBundle(section, url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) { fail(section, section.dataset.msgNotfound); return; }
  await run(section, await response.json());
}

async function handleFile(section, file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder().decode(bytes.slice(0, 5));
  if (text !== "%PDF-") {
    try { await run(section, JSON.parse(new TextDecoder().decode(bytes))); return; } catch { /* not JSON: look up by hash */ }
  }
  // A PDF is found through the "notice issued" record that carries the SHA-256 of its exact bytes.
  await fetchBundle(section, "/api/v1/ledger/files/" + hex(await sha256(bytes)));
}

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("verifier");
  if (!section) return;
  document.getElementById("verify-text").addEventListener("click", () => {
    try { run(section, JSON.parse(document.getElementById("bundle-text").value)); }
    catch (err) { fail(section, err.message); }
  });
  document.getElementById("bundle-file").addEventListener("change", (e) => {
    if (e.target.files.length) handleFile(section, e.target.files[0]);
  });
  const zone = document.getElementById("dropzone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault(); zone.classList.remove("over");
    if (e.dataTransfer.files.length) handleFile(section, e.dataTransfer.files[0]);
  });
  if (section.dataset.leaf) fetchBundle(section, "/api/v1/ledger/bundle/" + encodeURIComponent(section.dataset.leaf));
});
