// HTTP helpers shared by the views: every call returns parsed JSON or throws an ApiError that
// carries the server's RFC 9457 problem document, so each view can show the same readable text.

/** An error answer from the service (problem+json), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, title, detail, type) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = type;
  }
}

const TOKEN_KEY = 'mnist-cnn.admin-token';

/** The admin token lives only in this tab's sessionStorage, never in localStorage or a cookie. */
export function adminToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setAdminToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token is simply not remembered */ }
}

/** Listeners told when the token changes (the form's field shows it). */
const tokenListeners = [];
export function onAdminTokenChange(listener) { tokenListeners.push(listener); }

/**
 * Asks the user for the admin token (a dialog), keeps it for this tab and returns it; '' when
 * the user cancels. Every admin operation needs it: the server trusts no client for where it
 * connects from.
 */
function askForAdminToken(refused) {
  const question = (refused ? 'The admin token was refused. ' : '')
    + 'Admin token (printed by `mnist-cnn token --state-dir DIR` on the server, or the one it was started with):';
  const answer = (window.prompt(question) || '').trim();
  setAdminToken(answer);
  for (const listener of tokenListeners) listener(answer);
  return answer;
}

/**
 * fetch + JSON + problem handling. `admin` sends the bearer token, asking for it once when the
 * tab has none (or the server refused the one it had) and trying again with the answer.
 * `signal` lets a caller abandon a request it no longer needs (e.g. a deselected job).
 */
export async function request(method, path, { body, contentType, admin = false, signal } = {}) {
  if (!admin) return send(method, path, { body, contentType, signal });
  let token = adminToken() || askForAdminToken(false);
  try {
    return await send(method, path, { body, contentType, signal, token });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    token = askForAdminToken(true);
    if (!token) throw error;
    return send(method, path, { body, contentType, signal, token });
  }
}

async function send(method, path, { body, contentType, signal, token }) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (contentType) headers['Content-Type'] = contentType;
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal, cache: 'no-store' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'Cannot reach the server', 'the request did not get an answer; is the service running?');
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    const title = (data && data.title) || response.statusText || 'Request failed';
    const detail = (data && data.detail) || (data ? '' : text.slice(0, 300));
    throw new ApiError(response.status, title, detail, data && data.type);
  }
  if (data === null) {
    throw new ApiError(response.status, 'Unexpected answer', 'the server did not answer with JSON');
  }
  return data;
}

/** A sentence for an admin operation's failure that tells the user what to do about it. */
export function describeAdminError(error) {
  if (!(error instanceof ApiError)) return String(error.message || error);
  if (error.status === 401) {
    return adminToken()
      ? 'The admin token was refused (401). Check the token the server was started with.'
      : 'This needs the admin token (401). Enter it in the “Admin token” field and try again.';
  }
  return describe(error);
}

/** "Title (status): detail" for any ApiError; the message for anything else. */
export function describe(error) {
  if (!(error instanceof ApiError)) return String(error.message || error);
  const status = error.status ? ` (${error.status})` : '';
  return error.detail ? `${error.title}${status}: ${error.detail}` : `${error.title}${status}`;
}
