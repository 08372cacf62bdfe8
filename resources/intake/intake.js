// FairDesk phone intake page: pair once with the token from the QR code, then send photos,
// videos and PDFs in chunks that resume after the Wi-Fi drops. Where the page is a secure
// context the SHA-256 is computed here first and the laptop refuses bytes that differ.
"use strict";
(function () {
  var CHUNK = 8 * 1024 * 1024;
  var HASH_LIMIT = 256 * 1024 * 1024; // crypto.subtle needs the whole file in memory
  var T = {
    en: {
      title: "Send photos to FairDesk",
      subtitle: "Photos, videos and PDFs go straight into the case on the laptop, unchanged.",
      shoot: "Take a photo", pick: "Choose files",
      pairing: "Connecting to the laptop…",
      paired: "Connected as “{phone}”. Files go into the case as they are.",
      bad_token: "This code is not valid any more. Scan the code the laptop shows now.",
      token_expired: "This code has expired. Scan the code the laptop shows now.",
      forbidden: "This phone is not connected to the laptop. Scan the code the laptop shows.",
      closed: "The laptop has closed the intake.",
      no_token: "Open this page by scanning the code on the laptop.",
      waiting: "Waiting…", hashing: "Computing SHA-256 on the phone…",
      sending: "Sending… {pct}%", retry: "Connection lost — resuming in a moment ({sent} MB kept)…",
      finishing: "The laptop is storing the file…",
      imported: "Stored in the case.", duplicate: "Already in the case; stored once.",
      rejected: "The laptop did not keep it: {reason}",
      too_large: "Too large: this file is {size} MB; the laptop accepts at most {limit} MB per file.",
      not_accepted: "Not sent: only photos, videos and PDF files are accepted (this file's content is {mime}).",
      hash_mismatch: "The bytes changed on the way; nothing was kept. Send it again.",
      empty: "The file is empty.", failed: "Not sent: {message}",
      sha_laptop: "SHA-256 as stored on the laptop: {sha}",
      sha_checked: "(matches the SHA-256 computed on this phone)",
      sha_unchecked: "(computed by the laptop on arrival; this page could not compute it)"
    },
    zh: {
      title: "把照片发送到 FairDesk",
      subtitle: "照片、视频和 PDF 原样直接进入笔记本电脑上的案件。",
      shoot: "拍照", pick: "选择文件",
      pairing: "正在连接笔记本电脑…",
      paired: "已连接，本机名称：“{phone}”。文件将原样存入案件。",
      bad_token: "此二维码已失效。请扫描笔记本电脑上当前显示的二维码。",
      token_expired: "此二维码已过期。请扫描笔记本电脑上当前显示的二维码。",
      forbidden: "本手机未与笔记本电脑连接。请扫描笔记本电脑上显示的二维码。",
      closed: "笔记本电脑已关闭接收。",
      no_token: "请扫描笔记本电脑上的二维码打开本页面。",
      waiting: "等待中…", hashing: "正在手机上计算 SHA-256…",
      sending: "正在发送… {pct}%", retry: "连接中断，稍后继续（已保留 {sent} MB）…",
      finishing: "笔记本电脑正在保存文件…",
      imported: "已存入案件。", duplicate: "案件中已有此文件，只保存一份。",
      rejected: "笔记本电脑未保存：{reason}",
      too_large: "文件太大：此文件 {size} MB，每个文件最多 {limit} MB。",
      not_accepted: "未发送：只接收照片、视频和 PDF 文件（此文件内容为 {mime}）。",
      hash_mismatch: "传输中字节发生了变化，未保存任何内容。请重新发送。",
      empty: "文件为空。", failed: "未发送：{message}",
      sha_laptop: "笔记本电脑保存的 SHA-256：{sha}",
      sha_checked: "（与本手机计算的 SHA-256 一致）",
      sha_unchecked: "（由笔记本电脑在接收时计算；本页面无法计算）"
    }
  };
  var lang = (navigator.language || "en").toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  function t(key, params) {
    var text = T[lang][key] || T.en[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }
  function $(id) { return document.getElementById(id); }
  function mb(bytes) { return (bytes / 1048576).toFixed(1); }
  function status(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }
  function explain(body, fallback) {
    if (body && body.error && T.en[body.error]) {
      return t(body.error, { size: mb(body.size || 0), limit: mb(body.limit || 0),
                             mime: body.mime || "?" });
    }
    return t("failed", { message: (body && body.message) || fallback });
  }
  $("title").textContent = t("title");
  $("subtitle").textContent = t("subtitle");
  $("shoot-text").textContent = t("shoot");
  $("pick-text").textContent = t("pick");

  var key = sessionStorage.getItem("fairdesk-intake-key") || "";

  function request(method, url, body, headers, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      if (key) { xhr.setRequestHeader("Authorization", "Bearer " + key); }
      Object.keys(headers || {}).forEach(function (h) { xhr.setRequestHeader(h, headers[h]); });
      if (onProgress) { xhr.upload.onprogress = onProgress; }
      xhr.onload = function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        resolve({ status: xhr.status, body: data });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { resolve({ status: 0, body: null }); };
      xhr.send(body === undefined ? null : body);
    });
  }
  function pause(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function pair() {
    var match = /(?:^|[#&])t=([A-Za-z0-9_-]+)/.exec(location.hash);
    if (key) { ready(sessionStorage.getItem("fairdesk-intake-phone") || ""); return; }
    if (!match) { status(t("no_token"), true); return; }
    status(t("pairing"));
    request("POST", "/api/pair", JSON.stringify({ token: match[1] }),
            { "Content-Type": "application/json" }).then(function (res) {
      history.replaceState(null, "", "/"); // the spent token leaves the address bar
      if (res.status === 200 && res.body && res.body.key) {
        key = res.body.key;
        sessionStorage.setItem("fairdesk-intake-key", key);
        sessionStorage.setItem("fairdesk-intake-phone", res.body.phone);
        ready(res.body.phone);
      } else {
        status(explain(res.body, "HTTP " + res.status), true);
      }
    });
  }
  function ready(phone) {
    status(t("paired", { phone: phone }));
    $("buttons").hidden = false;
    document.body.setAttribute("data-paired", "yes");
  }

  var queue = [];
  var busy = false;
  function enqueue(files) {
    for (var i = 0; i < files.length; i++) {
      var li = document.createElement("li");
      li.setAttribute("data-name", files[i].name);
      li.setAttribute("data-state", "waiting");
      li.innerHTML = '<div class="name"></div><progress max="100" value="0"></progress>' +
                     '<div class="state"></div><div class="sha"></div>';
      li.querySelector(".name").textContent = files[i].name;
      li.querySelector(".state").textContent = t("waiting");
      $("files").appendChild(li);
      queue.push({ file: files[i], li: li });
    }
    if (!busy) { next(); }
  }
  function next() {
    var job = queue.shift();
    if (!job) { busy = false; return; }
    busy = true;
    send(job.file, job.li).then(next, function (err) {
      finish(job.li, "failed", t("failed", { message: String(err) }));
      next();
    });
  }
  function finish(li, state, text, sha) {
    li.setAttribute("data-state", state);
    li.querySelector(".state").textContent = text;
    if (state === "failed") { li.querySelector("progress").hidden = true; }
    if (sha) { li.setAttribute("data-sha256", sha); }
  }
  async function digest(file) {
    if (!window.isSecureContext || !window.crypto || !crypto.subtle || file.size > HASH_LIMIT) {
      return "";
    }
    var buffer = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    return Array.from(new Uint8Array(buffer)).map(function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }
  async function send(file, li) {
    var bar = li.querySelector("progress");
    var line = li.querySelector(".state");
    line.textContent = t("hashing");
    var sha = await digest(file);
    var announce = JSON.stringify({ name: file.name, size: file.size, sha256: sha,
                                    last_modified: file.lastModified });
    var state = null;
    var failures = 0;
    for (;;) {
      var res;
      if (!state) {
        res = await request("POST", "/api/uploads", announce, { "Content-Type": "application/json" });
      } else if (state.result) {
        break;
      } else if (state.offset === file.size) {
        // Every byte is on the laptop: it stores the file while the next one is sent.
        bar.value = 100;
        line.textContent = t("finishing");
        outcome(state, li);
        return;
      } else {
        var offset = state.offset;
        var end = Math.min(file.size, offset + CHUNK);
        line.textContent = t("sending", { pct: Math.floor(100 * offset / file.size) });
        res = await request("PUT", "/api/uploads/" + state.id, file.slice(offset, end),
                            { "Upload-Offset": String(offset),
                              "Content-Type": "application/octet-stream" },
                            function (ev) {
                              var pct = Math.floor(100 * (offset + ev.loaded) / file.size);
                              bar.value = pct;
                              line.textContent = pct >= 100 ? t("finishing") : t("sending", { pct: pct });
                            });
      }
      if (res.status === 200 && res.body) {
        state = res.body; failures = 0;
        bar.value = Math.floor(100 * state.offset / file.size);
        continue;
      }
      if (res.status === 409 && res.body && typeof res.body.offset === "number") {
        state.offset = res.body.offset; continue;
      }
      if (res.status === 0 || res.status === 409 || res.status >= 500) {
        // The Wi-Fi dropped (or the laptop is busy): ask where the file stands, then go on.
        failures += 1;
        line.textContent = t("retry", { sent: mb(state ? state.offset : 0) });
        await pause(Math.min(10000, 500 * failures));
        if (state) {
          var again = await request("GET", "/api/uploads/" + state.id);
          if (again.status === 200 && again.body) { state = again.body; }
          else if (again.status !== 0) { finish(li, "failed", explain(again.body, "HTTP " + again.status)); return; }
        }
        continue;
      }
      finish(li, "failed", explain(res.body, "HTTP " + res.status));
      return;
    }
    show(li, state.result);
  }
  async function outcome(state, li) {
    var failures = 0;
    for (;;) {
      var res = await request("GET", "/api/uploads/" + state.id + "?wait=1");
      if (res.status === 200 && res.body && res.body.result) { show(li, res.body.result); return; }
      if (res.status !== 200 && res.status !== 0 && res.status < 500) {
        finish(li, "failed", explain(res.body, "HTTP " + res.status)); return;
      }
      if (res.status !== 200) { failures += 1; await pause(Math.min(10000, 500 * failures)); }
    }
  }
  function show(li, result) {
    li.querySelector("progress").value = 100;
    var text = result.status === "imported" ? t("imported")
             : result.status === "duplicate" ? t("duplicate")
             : t("rejected", { reason: result.reason });
    if (result.status === "imported" && result.reason) { text += " " + result.reason; }
    finish(li, result.status === "imported" || result.status === "duplicate" ? "done" : "failed",
           text, result.sha256);
    if (result.sha256) {
      li.querySelector(".sha").textContent = t("sha_laptop", { sha: result.sha256 }) + " " +
        (result.hashed_on_phone ? t("sha_checked") : t("sha_unchecked"));
    }
  }
  $("shoot").addEventListener("change", function (e) { enqueue(e.target.files); e.target.value = ""; });
  $("pick").addEventListener("change", function (e) { enqueue(e.target.files); e.target.value = ""; });
  pair();
})();
