// The local app's one script: uploads with a live progress bar, then the import summary.
// No framework, no build step; every text from the server goes in through textContent.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const form = document.getElementById("import-form");
  if (!form) return;
  const chosen = [];  // {file, name}: name is the path inside a dropped folder
  const fileInput = document.getElementById("file-input");
  const folderInput = document.getElementById("folder-input");
  const drop = document.getElementById("drop");
  const bar = document.getElementById("progress");
  const barText = document.getElementById("progress-text");
  const summary = document.getElementById("summary");

  function showChosen() {
    const n = chosen.length;
    document.getElementById("chosen").textContent =
      n ? n + (n === 1 ? " file chosen: " : " files chosen, first: ") + chosen[0].name : "";
  }
  function addFiles(list) {
    for (const f of list) chosen.push({ file: f, name: f.webkitRelativePath || f.name });
    showChosen();
  }
  fileInput.addEventListener("change", () => addFiles(fileInput.files));
  folderInput.addEventListener("change", () => addFiles(folderInput.files));

  // Drag and drop: files, and folders walked through the entries API.
  function walk(entry, prefix) {
    return new Promise((resolve) => {
      if (entry.isFile) {
        entry.file((f) => { chosen.push({ file: f, name: prefix + f.name }); resolve(); }, resolve);
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        const all = [];
        const more = () => reader.readEntries((batch) => {
          if (!batch.length) {
            Promise.all(all.map((e) => walk(e, prefix + entry.name + "/"))).then(resolve);
          } else { all.push(...batch); more(); }
        }, resolve);
        more();
      } else resolve();
    });
  }
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => {
    e.preventDefault(); drop.classList.add("over");
  }));
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry());
    if (entries.every(Boolean)) Promise.all(entries.map((en) => walk(en, ""))).then(showChosen);
    else addFiles(e.dataTransfer.files);
  });

  async function call(url, options) {
    const headers = Object.assign({ "X-CSRF-Token": csrf, Accept: "application/json" },
      (options || {}).headers || {});
    const res = await fetch(url, Object.assign({}, options, { headers, credentials: "same-origin" }));
    let body = {};
    try { body = await res.json(); } catch (err) { body = { error: res.status + " " + res.statusText }; }
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }
  function setBar(done, total, text) {
    bar.max = Math.max(total, 1); bar.value = Math.min(done, bar.max);
    barText.textContent = text;
  }
  function item(parent, tag, text) {
    const el = document.createElement(tag); el.textContent = text; parent.appendChild(el); return el;
  }
  function showSummary(job) {
    summary.hidden = false; summary.textContent = "";
    const s = job.summary;
    item(summary, "h3", s ? "Imported for " + job.athlete : "The import did not finish");
    if (job.error) item(summary, "p", job.error).className = "flash error";
    if (!s) return;
    const dl = document.createElement("dl"); dl.id = "summary-counts";
    [["imported", s.imported + " files (" + s.runs + " runs)"], ["duplicates", s.duplicates],
     ["partial", s.partial], ["not a run", s.not_run], ["failed", s.failed], ["skipped", s.skipped]]
      .forEach(([k, v]) => { item(dl, "dt", k); item(dl, "dd", String(v)).dataset.key = k; });
    summary.appendChild(dl);
    [["Failed", s.failures], ["Partial (read up to the damage)", s.partials], ["Not a run", s.not_runs]]
      .forEach(([title, list]) => {
        if (!list || !list.length) return;
        item(summary, "h4", title);
        const ul = document.createElement("ul");
        list.forEach((e) => item(ul, "li", e.name + ": " + e.detail));
        summary.appendChild(ul);
      });
    const a = item(summary, "a", "See the report of " + job.athlete);
    a.id = "summary-link"; a.href = "/athletes/" + encodeURIComponent(job.athlete);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = document.getElementById("import-button");
    if (!chosen.length) { barText.textContent = "Choose or drop files first."; document.getElementById("progress-box").hidden = false; return; }
    button.disabled = true; summary.hidden = true;
    document.getElementById("progress-box").hidden = false;
    try {
      const data = new URLSearchParams({ athlete: document.getElementById("athlete").value });
      const job = await call("/api/imports", { method: "POST", body: data });
      const total = chosen.reduce((n, c) => n + c.file.size, 0);
      let sent = 0;
      for (const c of chosen) {
        setBar(sent, total, "Uploading " + c.name);
        await call("/api/imports/" + job.job + "/files?name=" + encodeURIComponent(c.name),
          { method: "POST", body: c.file, headers: { "Content-Type": "application/octet-stream" } });
        sent += c.file.size;
      }
      setBar(0, 1, "Importing...");
      await call("/api/imports/" + job.job + "/start", { method: "POST" });
      for (;;) {
        const st = await call("/api/imports/" + job.job);
        const p = st.progress;
        setBar(p.done, p.total, st.state === "running"
          ? "Importing " + p.done + " of " + p.total + (p.name ? ": " + p.name : "")
          : "Import " + st.state + ": " + p.done + " of " + p.total + " files");
        if (st.state !== "running") { bar.dataset.state = st.state; showSummary(st); break; }
        await new Promise((r) => setTimeout(r, 300));
      }
    } catch (err) {
      bar.dataset.state = "failed";
      barText.textContent = "";
      showSummary({ athlete: document.getElementById("athlete").value, error: err.message });
    } finally {
      chosen.length = 0; fileInput.value = ""; folderInput.value = ""; showChosen();
      button.disabled = false;
    }
  });
})();
