// The dashboard's entry point: sign-in with an API token (kept in this tab's sessionStorage only, never in a URL
// or localStorage), who is signed in and with which role (GET /v1/me), sign-out, and the hash routes: #/ (the
// overview) and #/devices/<id> (one device), so the browser's back and forward work.
import { createApi } from './api.js';
import { renderDevice } from './device.js';
import { h, problemMessage, replaceChildren } from './dom.js';
import { renderOverview } from './overview.js';

const TOKEN_KEY = 'warden.token';
const PRINTABLE_TOKEN = /^[\x21-\x7e]{1,512}$/;
const main = document.getElementById('main');
const session = document.getElementById('session');

/** { api, self } while signed in; null otherwise. */
let context = null;

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  context = null;
  showLogin(reason);
}

async function signIn(token) {
  if (!PRINTABLE_TOKEN.test(token)) throw new Error('A token is printable ASCII without spaces, up to 512 characters.');
  // The answer to this first call is shown on the form; later 401s (a token revoked meanwhile) sign out.
  const self = await createApi(token).get('/v1/me');
  sessionStorage.setItem(TOKEN_KEY, token);
  // Only this session's own calls may end it (a late answer to an earlier session's call must not).
  const api = createApi(token, { onUnauthenticated: (error) => context?.api === api && signOut(error) });
  context = { self, api };
  showSession();
  route();
}

function showLogin(error) {
  replaceChildren(session);
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  });
  const message = h('div', { class: 'login-error', 'data-testid': 'login-error' });
  if (error) replaceChildren(message, problemMessage(error));
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'login', 'data-testid': 'login-form', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to Warden'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'note' },
      'An admin or security-viewer token, e.g. from ',
      h('code', null, 'warden token create'),
      '. It stays in this browser tab only and is forgotten when the tab closes or you sign out.',
    ),
    submit,
    message,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replaceChildren(message, h('p', { class: 'muted' }, 'Checking the token…'));
    try {
      await signIn(input.value.trim());
    } catch (failure) {
      replaceChildren(message, problemMessage(failure));
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  document.title = 'Sign in · Warden';
  replaceChildren(main, form);
  input.focus();
}

function showSession() {
  const { self } = context;
  replaceChildren(
    session,
    h(
      'span',
      { class: 'whoami', 'data-testid': 'whoami' },
      self.name,
      ' ',
      h('span', { class: 'role', 'data-testid': 'role' }, self.role),
    ),
    h('button', { type: 'button', class: 'small', on: { click: route } }, 'Refresh'),
    h(
      'button',
      { type: 'button', class: 'small', 'data-testid': 'sign-out', on: { click: () => signOut() } },
      'Sign out',
    ),
  );
}

/** Renders the view the address names into a fresh element, so a slow earlier view cannot write over it. */
function route() {
  if (!context) return;
  const view = h('div', { class: 'view' });
  replaceChildren(main, view);
  const match = /^#\/devices\/([^/?#]+)$/.exec(location.hash);
  let rendering;
  if (match) {
    document.title = 'Device · Warden';
    let id = '';
    try {
      id = decodeURIComponent(match[1]);
    } catch {
      // a malformed escape names no device
    }
    rendering = renderDevice(view, id, context);
  } else {
    document.title = 'Fleet posture · Warden';
    rendering = renderOverview(view, context);
  }
  rendering.catch((error) => replaceChildren(view, problemMessage(error)));
}

window.addEventListener('hashchange', route);

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  signIn(saved).catch((error) => {
    if (error.status === 401) sessionStorage.removeItem(TOKEN_KEY);
    showLogin(error);
  });
} else {
  showLogin();
}
