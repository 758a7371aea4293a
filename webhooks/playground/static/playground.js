// The playground page: posts what a person types or taps as an update, draws the feed.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("demo-data").textContent);
  const texts = data.texts;
  const chats = Object.fromEntries(data.chats.map((c) => [c.id, c]));
  const epoch = document.body.dataset.epoch;
  const locale = document.body.dataset.locale;
  // A report code: six of the letters and digits codes are made of, alone as a word.
  const CODE = /\b([2-9A-HJKMNP-Z]{6})\b/g;
  let last = 0;
  const replyTo = {};
  let leaving = false;  // chat id -> the bot's message a person replies to, as on Telegram

  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function pane(chatId) {
    return document.getElementById("pane-" + chatId);
  }

  function speaker(chatId) {
    const id = pane(chatId).querySelector(".as").value;
    const member = chats[chatId].members.find((m) => m.id === id);
    return { id: member.id, name: member.name };
  }

  function note(chatId, text) {
    const box = pane(chatId).querySelector(".note");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(box.timer);
    box.timer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  async function post(chatId, extra) {
    const chat = chats[chatId];
    const update = Object.assign({
      update_id: uid(),
      chat: { id: chat.id, kind: chat.kind, title: chat.title },
      from: speaker(chatId),
      message_id: "p-" + uid(),
      date: Date.now(),
    }, extra);
    const replied = replyTo[chatId];
    if (replied) {
      update.reply_to = { message_id: replied.id, from_bot: true, text: replied.text || "" };
      setReply(chatId, null);
    }
    try {
      const answer = await fetch("/playground/updates", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(update),
      });
      if (!answer.ok) throw new Error(String(answer.status));
    } catch (error) {
      note(chatId, texts.not_sent);
    }
  }

  function setReply(chatId, item) {
    replyTo[chatId] = item;
    const box = pane(chatId).querySelector(".replying");
    box.querySelector(".quoted").textContent = item ? (item.text || "").slice(0, 80) : "";
    box.hidden = !item;
    if (item) pane(chatId).querySelector("input.text").focus();
  }

  function withCodes(text) {
    const fragment = document.createDocumentFragment();
    let at = 0;
    for (const match of text.matchAll(CODE)) {
      fragment.append(text.slice(at, match.index));
      const link = document.createElement("a");
      link.href = "/playground/reports/" + match[1] + "?lang=" + locale;
      link.target = "_blank";
      link.className = "code";
      link.title = texts.timeline;
      link.textContent = match[1];
      fragment.append(link);
      at = match.index + match[0].length;
    }
    fragment.append(text.slice(at));
    return fragment;
  }

  function fill(li, item) {
    li.replaceChildren();
    const who = document.createElement("span");
    who.className = "from";
    who.textContent = item.from_bot ? texts.bot : item.from || "";
    li.append(who);
    if (item.from_bot) {
      const reply = document.createElement("button");
      reply.type = "button";
      reply.className = "reply";
      reply.title = texts.reply;
      reply.setAttribute("aria-label", texts.reply);
      reply.textContent = "↩";
      reply.addEventListener("click", () => setReply(item.chat, item));
      li.append(reply);
    }
    if (item.quote) {
      const quote = document.createElement("div");
      quote.className = "quote";
      quote.textContent = item.quote;
      li.append(quote);
    }
    if (item.photo) {
      const img = document.createElement("img");
      img.src = item.photo;
      img.alt = "";
      li.append(img);
    }
    if (item.location) {
      const where = document.createElement("span");
      where.className = "location";
      const [lat, lon] = item.location.map(Number);
      const place = data.places.find((p) => Math.abs(p.lat - lat) < 1e-6 && Math.abs(p.lon - lon) < 1e-6);
      where.textContent = "📍 " + texts.location + ": " + (place ? place.name : lat.toFixed(4) + ", " + lon.toFixed(4));
      li.append(where);
    }
    if (item.text) {
      const body = document.createElement("div");
      body.className = "text";
      body.append(withCodes(item.text));
      li.append(body);
    }
    if (item.buttons && item.buttons.length) {
      const rows = document.createElement("div");
      rows.className = "buttons";
      for (const row of item.buttons) {
        const line = document.createElement("div");
        for (const b of row) {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = b.label;
          button.addEventListener("click", () => post(item.chat, {
            press: { message_id: item.id, data: b.data, callback_id: item.chat + "~" + uid().slice(0, 12) },
          }));
          line.append(button);
        }
        rows.append(line);
      }
      li.append(rows);
    }
  }

  function draw(item) {
    if (item.seq <= last) return;  // sent again after a reconnection
    last = item.seq;
    const target = pane(item.chat);
    if (!target) return;
    const list = target.querySelector(".messages");
    const key = "msg-" + item.chat + "-" + item.id;
    if (item.type === "note") {
      note(item.chat, item.text);
    } else if (item.type === "delete") {
      const gone = document.getElementById(key);
      if (gone) gone.remove();
    } else if (item.type === "edit" && document.getElementById(key)) {
      fill(document.getElementById(key), item);
    } else {
      const li = document.createElement("li");
      li.id = key;
      li.className = item.from_bot ? "bot" : "person";
      fill(li, item);
      list.append(li);
    }
    list.scrollTop = list.scrollHeight;
  }

  function startOver() {
    if (leaving) return;  // the reset's answer and its event both ask: reload once
    leaving = true;
    location.reload();
  }

  function listen() {
    const source = new EventSource("/playground/feed?after=" + last + "&epoch=" + epoch);
    source.onmessage = (event) => draw(JSON.parse(event.data));
    source.addEventListener("reset", () => { source.close(); startOver(); });
  }

  for (const section of document.querySelectorAll(".pane")) {
    const chatId = section.dataset.chat;
    const form = section.querySelector(".composer");
    const input = form.querySelector(".text");
    section.querySelector(".cancel-reply").addEventListener("click", () => setReply(chatId, null));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      post(chatId, { text: text });
    });
    form.querySelector(".photo").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      event.target.value = "";
      if (!file) return;
      const answer = await fetch("/playground/photos?name=" + encodeURIComponent(file.name), {
        method: "POST",
        headers: { "Content-Type": file.type || "application/octet-stream" },
        body: file,
      });
      if (!answer.ok) { note(chatId, texts.photo_failed); return; }
      const stored = await answer.json();
      const caption = input.value.trim();
      input.value = "";
      post(chatId, { photo: Object.assign({ name: file.name, caption: caption }, stored) });
    });
    form.querySelector(".place").addEventListener("change", (event) => {
      const place = data.places[Number(event.target.value)];
      event.target.value = "";
      if (place) post(chatId, { location: { latitude: place.lat, longitude: place.lon, name: place.name } });
    });
  }

  for (const tab of document.querySelectorAll(".tabs button")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tabs button")) other.removeAttribute("aria-selected");
      tab.setAttribute("aria-selected", "true");
      for (const section of document.querySelectorAll(".pane")) {
        section.classList.toggle("current", section.dataset.chat === tab.dataset.tab);
      }
    });
  }

  document.getElementById("zalo-view").addEventListener("change", (event) => {
    document.body.classList.toggle("zalo", event.target.checked);
  });

  document.getElementById("reset").addEventListener("click", async () => {
    if (!window.confirm(texts.reset_confirm)) return;
    await fetch("/playground/reset", { method: "POST" });
    startOver();
  });

  listen();
})();
