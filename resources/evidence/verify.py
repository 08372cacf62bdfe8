#!/usr/bin/env python3
"""Check a FairDesk evidence bundle using only Python's standard library.

Run it in the unpacked bundle folder:  python3 verify.py
It checks every file's SHA-256 against manifest.json, the custody log's hash chain and
Merkle tree head, and (if the `cryptography` package is installed) the Ed25519 signature.
Exit status 0 means every check passed. Items listed as kept at HQ (removed for travel)
are reported as NOT INCLUDED, not as failures. 中文说明见 HOW-TO-VERIFY.txt。
"""

import hashlib
import json
import os
import sys

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "device_id",
    "action",
    "item_sha256",
    "item_id",
    "case_id",
    "actor",
    "at",
    "details",
    "prev_hash",
)
SKIP = {"manifest.json", "manifest.sig"}
# An item listed without its bytes: travel mode removed the local copy, HQ keeps it.
KEPT_AT_HQ = "kept at HQ (removed for travel)"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def leaf_hash(entry):
    body = {name: entry[name] for name in HASHED_FIELDS}
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(b"\x00" + data.encode("utf-8")).hexdigest()


def merkle_root(leaves):
    if not leaves:
        return hashlib.sha256(b"").hexdigest()

    def mth(items):
        if len(items) == 1:
            return items[0]
        split = 1
        while split * 2 < len(items):
            split *= 2
        return hashlib.sha256(b"\x01" + mth(items[:split]) + mth(items[split:])).digest()

    return mth([bytes.fromhex(leaf) for leaf in leaves]).hex()


def check_files(root, manifest, failures, not_included):
    listed = manifest.get("files", {})
    for rel, expected in sorted(listed.items()):
        path = os.path.join(root, *rel.split("/"))
        if not os.path.isfile(path):
            failures.append(
                f"MISSING  {rel}: listed in manifest.json but not in the folder / 文件缺失"
            )
            continue
        actual = sha256_file(path)
        if actual != expected["sha256"]:
            failures.append(
                "CHANGED  {}: SHA-256 is {}, manifest says {} / 文件已被改动".format(
                    rel, actual, expected["sha256"]
                )
            )
    for folder, _dirs, names in os.walk(root):
        for name in names:
            rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            if rel not in listed and rel not in SKIP and not rel.startswith("__pycache__/"):
                failures.append(f"EXTRA    {rel}: not part of the bundle as exported / 多出的文件")
    for item in manifest.get("items", []):
        if item.get("file") is None and item.get("original") == KEPT_AT_HQ:
            # Not in the bundle on purpose (travel mode); reported, not a failure. The
            # signature check below is what proves the manifest really says so.
            not_included.append(
                "NOT INCLUDED {} ({}): {}; SHA-256 {} / 未包含：原始文件由总部保存".format(
                    item["sha256"][:16], item["original_name"], KEPT_AT_HQ, item["sha256"]
                )
            )
            continue
        entry = listed.get(item["file"])
        if entry is None or entry["sha256"] != item["sha256"]:
            failures.append(
                "ITEM     {} ({}): the manifest does not list this original with "
                "its recorded SHA-256 / 证据哈希不符".format(item["file"], item["original_name"])
            )
    for doc in manifest.get("documents", []):
        entry = listed.get(doc["file"])
        if entry is None or entry["sha256"] != doc["sha256"]:
            failures.append(
                "DOCUMENT {}: the manifest does not list this document with its recorded "
                "SHA-256 / 文书哈希不符".format(doc["file"])
            )
    return len(listed)


def check_custody(root, manifest, failures):
    info = manifest.get("custody", {})
    path = os.path.join(root, info.get("file", "custody-log.jsonl"))
    entries = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    failures.append(
                        f"LOG      line {number} of the custody log is not valid JSON / "
                        "保管记录损坏"
                    )
    chains = {}
    for entry in entries:
        chains.setdefault(entry["device_id"], []).append(entry)
    for device, chain in sorted(chains.items()):
        chain.sort(key=lambda e: e["seq"])
        prev, expected = GENESIS, 1
        for entry in chain:
            seq = entry["seq"]
            where = f"custody log entry {seq} (device {device[:8]})"
            if seq != expected:
                failures.append(
                    f"LOG      entry {expected} (device {device[:8]}) is missing / 保管记录缺失"
                )
            elif entry["prev_hash"] != prev:
                failures.append(
                    f"LOG      {where} does not follow the entry before it (removed, "
                    "replaced or reordered) / 保管记录顺序被改动"
                )
            if not entry.get("redacted") and leaf_hash(entry) != entry["entry_hash"]:
                failures.append(
                    "LOG      {} ({}) was altered: its content does not match "
                    "its hash / 保管记录被篡改".format(where, entry.get("action"))
                )
            prev, expected = entry["entry_hash"], seq + 1
        head = next((h for h in info.get("heads", []) if h["device_id"] == device), None)
        if head is None:
            failures.append(
                f"LOG      device {device[:8]} has no signed tree head in manifest.json"
            )
            continue
        if (
            len(chain) != head["tree_size"]
            or chain[-1]["entry_hash"] != head["last_entry_hash"]
            or merkle_root([e["entry_hash"] for e in chain]) != head["merkle_root"]
        ):
            failures.append(
                f"LOG      the custody log of device {device[:8]} does not match its tree head "
                "in manifest.json (entries added or removed) / 保管记录与签名摘要不符"
            )
    return len(entries)


def check_signature(root, notes, failures):
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        notes.append(
            "Signature NOT checked: the Python package 'cryptography' is not installed. "
            "Install it (pip install cryptography) and run again, or check with OpenSSL 3:\n"
            "  openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin "
            "-in manifest.json -sigfile manifest.sig\n"
            "未检查签名：请安装 cryptography 后重新运行，或使用上面的 OpenSSL 命令。"
        )
        return
    with open(os.path.join(root, "public_key.pem"), "rb") as handle:
        key = load_pem_public_key(handle.read())
    with open(os.path.join(root, "manifest.json"), "rb") as handle:
        manifest_bytes = handle.read()
    with open(os.path.join(root, "manifest.sig"), "rb") as handle:
        signature = handle.read()
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature:
        failures.append(
            "SIGNATURE manifest.json does not match manifest.sig: the manifest was "
            "changed after export / 签名无效"
        )
    else:
        notes.append("Signature valid (Ed25519, public_key.pem) / 签名有效")


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    failures, notes, not_included = [], [], []
    try:
        with open(os.path.join(root, "manifest.json"), encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"FAILED: manifest.json cannot be read ({exc}) / 无法读取 manifest.json")
        return 2
    files = check_files(root, manifest, failures, not_included)
    entries = check_custody(root, manifest, failures)
    check_signature(root, notes, failures)
    case = manifest.get("case", {})
    print("FairDesk evidence bundle: case {} — {}".format(case.get("number"), case.get("title")))
    print(f"Checked {files} files and {entries} custody log entries.")
    for note in notes:
        print(note)
    if not_included:
        print(
            f"{len(not_included)} original(s) not included in this bundle (kept at HQ, "
            f"removed for travel): not checked / {len(not_included)} 个原始文件未包含，未校验："
        )
        for line in not_included:
            print("  " + line)
    if failures:
        print(f"FAILED — {len(failures)} problem(s) / 校验失败：")
        for failure in failures:
            print("  " + failure)
        return 1
    print("ALL CHECKS PASSED / 全部校验通过")
    return 0


if __name__ == "__main__":
    sys.exit(main())
