// Every call to the API goes through here: it adds the bearer token (asked once, kept in this
// tab's sessionStorage) and turns problem answers into errors that carry the server's detail.
import { follow } from './sse.js';

const KEY = 'fetchrunner.token';
let config = null;
let asking = null;

/** What the page needs to know before its first call (GET /dashboard/config.json). */
export async function loadConfig() {
  if (!config) {
    const response = await fetch('/dashboard/config.json', { cache: 'no-cache' });
    config = await response.json();
  }
  return config;
}

/** An answer other than 2xx, with the problem's detail and the field it names. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.field = problem?.field ?? null;
  }
}

function askForToken(refused) {
  if (!asking) {
    asking = new Promise((resolve) => {
      const dialog = document.getElementById('token-dialog');
      const form = document.getElementById('token-form');
      const input = document.getElementById('token-input');
      const error = document.getElementById('token-error');
      error.hidden = !refused;
      error.textContent = refused ? 'The service refused that token; try again.' : '';
      input.value = '';
      dialog.dataset.asked = String(Number(dialog.dataset.asked) + 1);
      const submitted = (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        sessionStorage.setItem(KEY, token);
        form.removeEventListener('submit', submitted);
        dialog.removeEventListener('cancel', keepOpen);
        dialog.close();
        asking = null;
        resolve(token);
      };
      const keepOpen = (event) => event.preventDefault(); // nothing works without it
      form.addEventListener('submit', submitted);
      dialog.addEventListener('cancel', keepOpen);
      dialog.showModal();
      input.focus();
    });
  }
  return asking;
}

/** The token to send, asking for it first when the service needs one and none is kept. */
async function currentToken() {
  const { tokenRequired } = await loadConfig();
  if (!tokenRequired) return null;
  return sessionStorage.getItem(KEY) ?? askForToken(false);
}

/** fetch() with the token; a 401 (a changed or wrong token) asks again and retries. */
export async function request(path, init = {}) {
  for (;;) {
    const token = await currentToken();
    const headers = new Headers(init.headers || {});
    if (token) headers.set('Authorization', `Bearer ${token}`);
    const response = await fetch(path, { ...init, headers });
    if (response.status !== 401 || !token) return response;
    sessionStorage.removeItem(KEY);
    await askForToken(true);
  }
}

async function json(response) {
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const getJson = (path, signal) => request(path, { signal }).then(json);

export const postJson = (path, body) => request(path, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
}).then(json);

export const remove = (path) => request(path, { method: 'DELETE' }).then(json);

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** An event stream of the API, with the token in a header (see sse.js). */
export function stream(path, options) {
  return follow({ ...options, open: (headers) => request(path, { headers, signal: options.signal }) });
}

/** Downloads path as filename: fetched with the token, handed to the browser as a Blob. */
export async function download(path, filename) {
  const response = await request(path);
  if (!response.ok) await json(response);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
