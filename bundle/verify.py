#!/usr/bin/env python3
"""Check a FairDesk evidence bundle using only Python's standard library.

Run it in the unpacked bundle folder:  python3 verify.py
It checks every file's SHA-256 against manifest.json, the custody log's hash chain and
Merkle tree head, and (if the `cryptography` package is installed) the Ed25519 signature.
For each RFC 3161 timestamp token in timestamps/ it checks that the token's message imprint
is the SHA-256 of the custody-log head it claims, and that this head is the Merkle tree of
the log's first entries; it prints the `openssl ts -verify` command that checks the TSA's
signature (this script reads only the few DER fields it needs and checks no signature).
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
# What places an entry in its device's chain (a redacted entry keeps only these).
LINKS = ("seq", "device_id", "prev_hash", "entry_hash")
SKIP = {"manifest.json", "manifest.sig"}
TST_INFO_OID = "1.2.840.113549.1.9.16.1.4"  # id-ct-TSTInfo (RFC 3161)
SHA256_OID = "2.16.840.1.101.3.4.2.1"
# An item listed without its bytes: travel mode removed the local copy, HQ keeps it.
KEPT_AT_HQ = "kept at HQ (removed for travel)"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def damaged_fields(entry):
    """What is wrong with a custody log entry's shape, in words ("" if nothing)."""
    if not isinstance(entry, dict):
        return "it is not a log entry"
    needed = LINKS if entry.get("redacted") else HASHED_FIELDS + ("entry_hash",)
    missing = [name for name in needed if name not in entry]
    if missing:
        return "it has no {} field".format(", ".join(repr(m) for m in missing))
    if not isinstance(entry["seq"], int) or not isinstance(entry["device_id"], str):
        return "its number or device is not readable"
    return ""


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
                    entry = json.loads(line)
                except ValueError:
                    failures.append(
                        f"LOG      line {number} of the custody log is not valid JSON / "
                        "保管记录损坏"
                    )
                    continue
                damage = damaged_fields(entry)
                if damage:
                    # A renamed or deleted key is tampering like any other: name the entry.
                    failures.append(
                        f"LOG      line {number} of the custody log is damaged: {damage} / "
                        "保管记录损坏"
                    )
                    if not isinstance(entry, dict) or any(k not in entry for k in LINKS):
                        continue  # cannot even be placed in its chain
                    entry["damaged"] = True
                entries.append(entry)
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
            if (
                not entry.get("redacted")
                and not entry.get("damaged")
                and leaf_hash(entry) != entry["entry_hash"]
            ):
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


def der_element(data, at):
    """One DER element starting at ``at``: (tag, first content byte, end of contents)."""
    tag = data[at]
    length = data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + length > len(data):
        raise ValueError("truncated DER")
    return tag, at, at + length


def der_children(data, start, end):
    children = []
    while start < end:
        child = der_element(data, start)
        children.append(child)
        start = child[2]
    return children


def der_oid(raw):
    first = raw[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def token_imprint(token):
    """(digest OID, hashed message, genTime) of a DER TimeStampToken, read by position.

    ContentInfo → [0] → SignedData → encapContentInfo → [0] → OCTET STRING → TSTInfo →
    messageImprint; nothing else is parsed and no signature is checked here.
    """
    _tag, start, end = der_element(token, 0)
    content_info = der_children(token, start, end)
    _tag, start, end = content_info[1]
    _tag, start, end = der_element(token, start)
    signed_data = der_children(token, start, end)
    _tag, start, end = signed_data[2]
    encap = der_children(token, start, end)
    if der_oid(token[encap[0][1] : encap[0][2]]) != TST_INFO_OID:
        raise ValueError("not an RFC 3161 timestamp token")
    _tag, start, end = encap[1]
    _tag, start, end = der_element(token, start)
    _tag, start, end = der_element(token, start)
    tst_info = der_children(token, start, end)
    _tag, start, end = tst_info[2]
    imprint = der_children(token, start, end)
    algorithm = der_children(token, imprint[0][1], imprint[0][2])
    oid = der_oid(token[algorithm[0][1] : algorithm[0][2]])
    hashed = token[imprint[1][1] : imprint[1][2]]
    gen_time = token[tst_info[4][1] : tst_info[4][2]].decode("ascii")
    return oid, hashed, gen_time


def read_log(root, manifest):
    path = os.path.join(root, manifest.get("custody", {}).get("file", "custody-log.jsonl"))
    entries = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # reported by check_custody
                if isinstance(entry, dict) and all(k in entry for k in LINKS):
                    entries.append(entry)  # a damaged shape is reported by check_custody
    return entries


def check_timestamps(root, manifest, failures, notes):
    records = manifest.get("timestamps", [])
    if not records:
        return 0
    chains = {}
    for entry in read_log(root, manifest):
        chains.setdefault(entry["device_id"], []).append(entry)
    for chain in chains.values():
        chain.sort(key=lambda e: e["seq"])
    good = {}
    for record in records:
        where = "TIMESTAMP {} ({})".format(record["token"], record["tsa"])
        try:
            with open(os.path.join(root, *record["head"].split("/")), "rb") as handle:
                head_bytes = handle.read()
            with open(os.path.join(root, *record["token"].split("/")), "rb") as handle:
                token = handle.read()
            head = json.loads(head_bytes.decode("utf-8"))
            oid, hashed, gen_time = token_imprint(token)
        except (OSError, ValueError, IndexError, KeyError) as exc:
            failures.append(f"{where}: cannot be read ({exc}) / 时间戳无法读取")
            continue
        if oid != SHA256_OID or hashed != hashlib.sha256(head_bytes).digest():
            failures.append(
                f"{where}: the token's message imprint is not the SHA-256 of "
                f"{record['head']} / 时间戳与保管记录摘要不符"
            )
            continue
        size = head.get("tree_size") if isinstance(head.get("tree_size"), int) else -1
        chain = [e for e in chains.get(head.get("device_id"), []) if e["seq"] <= size]
        if (
            head.get("device_id") != record["device_id"]
            or head.get("tree_size") != record["tree_size"]
            or len(chain) != size
            or (chain and chain[-1]["entry_hash"] != head.get("last_entry_hash"))
            or merkle_root([e["entry_hash"] for e in chain]) != head.get("merkle_root")
        ):
            failures.append(
                f"{where}: {record['head']} is not the head of the first "
                f"{head.get('tree_size')} entries of the custody log / 时间戳所证明的摘要与保管记录不符"
            )
            continue
        good[record["token"]] = (record, head)
        notes.append(
            "{}: custody log of device {} up to entry {} existed at {} (token time); "
            "imprint matches / 时间戳摘要一致\n    signature: {}".format(
                where, record["device_id"][:8], head["tree_size"], gen_time, record["openssl"]
            )
        )
    for item in manifest.get("items", []):
        stamp = item.get("timestamp")
        if not stamp:
            continue
        found = good.get(stamp.get("token"))
        entry = None
        if found is not None:
            entry = next(
                (
                    e
                    for e in chains.get(found[1]["device_id"], [])
                    if e.get("item_id") == item["id"]
                    and e.get("action") == "import"
                    and e["seq"] <= found[1]["tree_size"]
                ),
                None,
            )
        if entry is None:
            failures.append(
                "TIMESTAMP item {} ({}): its import is not covered by the token it names / "
                "证据未被所引用的时间戳覆盖".format(item["sha256"][:16], item["original_name"])
            )
    return len(good)


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
    files = entries = stamps = 0
    try:
        files = check_files(root, manifest, failures, not_included)
        entries = check_custody(root, manifest, failures)
        check_signature(root, notes, failures)
        stamps = check_timestamps(root, manifest, failures, notes)
    except (KeyError, TypeError, AttributeError, ValueError, OSError) as exc:
        # Whatever else was edited by hand: a damaged bundle is reported, never a traceback.
        failures.append(
            f"DAMAGED  manifest.json or the custody log is not as exported ({exc!r}) / "
            "证据包已损坏"
        )
    case = manifest.get("case", {}) if isinstance(manifest, dict) else {}
    print("FairDesk evidence bundle: case {} — {}".format(case.get("number"), case.get("title")))
    print(
        f"Checked {files} files, {entries} custody log entries and {stamps} RFC 3161 "
        "timestamp token(s)."
    )
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
