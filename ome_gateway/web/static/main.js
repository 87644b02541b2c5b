// The dashboard shell: the connection state, the token field, and the view for the URL hash.

import { SubscriptionClient, endpoint, getToken, setToken } from "./gql.js";
import * as deploy from "./deploy.js";
import * as importer from "./importer.js";
import * as overview from "./overview.js";
import * as service from "./service.js";

// Views by URL hash. A view module exports mount(container, {client, params}) and returns its unmount function;
// a new page is one more module and one more entry here (`nav`: its link in the top bar, marked while it is shown).
const ROUTES = [
  { pattern: /^#\/ns\/([^/]+)\/([^/]+)$/, view: service },
  { pattern: /^#\/deploy(?:\/([^/]+))?(?:\/([^/]+))?$/, view: deploy, title: "Deploy", nav: "#/deploy" }, // [ns/]model
  { pattern: /^#\/import$/, view: importer, title: "Import", nav: "#/import" },
  { pattern: /^(?:#\/?)?$/, view: overview, title: "Overview" },
];

const client = new SubscriptionClient(endpoint);
const container = document.getElementById("view");
const links = document.querySelectorAll('nav.links a[href^="#"]');
let unmount = null;

function decode(part) {
  if (part === undefined) return undefined; // an optional part the hash leaves out
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function route(focus = true) {
  const hash = location.hash;
  if (unmount && hash && !hash.startsWith("#/")) return; // an in-page anchor (the skip link), not a view
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(hash) })).find(({ m }) => m)
    ?? { r: ROUTES.at(-1), m: [] };
  unmount?.();
  if (match.r.title) document.title = `${match.r.title} · OME gateway`;
  for (const link of links) {
    if (link.getAttribute("href") === match.r.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  unmount = match.r.view.mount(container, { client, params: match.m.slice(1).map(decode) });
  if (focus) container.querySelector("h1")?.focus({ preventScroll: true });
}

const STATES = { connecting: "Connecting…", connected: "Live", reconnecting: "Reconnecting" };
const connection = document.getElementById("connection");
client.addEventListener("state", ({ detail: { state, reason, retryIn } }) => {
  connection.dataset.state = state;
  const why = reason ? ` (${reason}${retryIn ? `, retrying in ${Math.ceil(retryIn / 1000)} s` : ""})` : "";
  connection.querySelector(".label").textContent = STATES[state] + (state === "reconnecting" ? why : "");
});

const tokenForm = document.getElementById("token-form");
const tokenInput = tokenForm.elements.token;
const tokenState = document.getElementById("token-state");
function showToken() {
  tokenInput.value = getToken();
  tokenState.textContent = getToken() ? "A token is set for this tab." : "No token set.";
}
function useToken(token) {
  setToken(token.trim());
  showToken();
  client.restart(); // a new connection_init carries it
  route(false); // and every query is made again with it
}
tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  useToken(tokenInput.value);
});
tokenForm.elements.forget.addEventListener("click", () => useToken(""));

showToken();
client.start();
addEventListener("hashchange", () => route());
route();
