// The web console: a page per hash route (#/, #/host/<id>, #/alerts, #/commands), each built with plain
// DOM from the SDK's calls and subscriptions. Marks (`performance.mark`) name when each page is ready.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { connect, describe, type Session, savedToken, saveToken } from './api.js';
import { h, replace } from './dom.js';
import type { Page } from './page.js';
import { alertsPage } from './pages/alerts.js';
import { commandsPage } from './pages/commands.js';
import { fleetPage } from './pages/fleet.js';
import { hostPage } from './pages/host.js';

performance.mark('console-start');
const app = document.getElementById('app') as HTMLElement;
let current: AbortController | undefined;

async function start(): Promise<void> {
  let session: Awaited<ReturnType<typeof connect>>;
  try {
    session = await connect(savedToken());
  } catch (error) {
    return askToken(`The server could not be reached: ${describe(error)}`);
  }
  if (session === 'token' || session === 'refused') {
    saveToken(undefined);
    return askToken(
      session === 'refused' ? 'That token was refused: it is not one of the server’s tokens.' : undefined,
    );
  }
  shell(session);
}

/** The sign-in form, shown when the server has tokens. */
function askToken(message?: string): void {
  const input = h('input', {
    type: 'password',
    id: 'token',
    name: 'token',
    autocomplete: 'off',
    required: true,
  });
  const form = h(
    'form',
    { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'metrics-collector'),
    h('p', {}, 'This server needs an API token. It is kept for this tab only (sessionStorage).'),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    h('label', { for: 'token' }, 'API token'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saveToken(input.value.trim());
    void start();
  });
  replace(app, form);
  input.focus();
}

function shell(session: Session): void {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const link = (href: string, text: string) => h('a', { href, 'data-nav': href }, text);
  const signOut = h('button', { type: 'button', class: 'link' }, 'Sign out');
  signOut.addEventListener('click', () => {
    saveToken(undefined);
    void session.client.close();
    void start();
  });
  const scopes = [session.read && 'read', session.admin && 'admin'].filter(Boolean).join(' + ') || 'none';
  replace(
    app,
    h(
      'header',
      {},
      h('strong', { class: 'brand' }, 'metrics-collector'),
      h(
        'nav',
        { 'aria-label': 'Pages' },
        link('#/', 'Fleet'),
        link('#/alerts', 'Alerts'),
        session.admin ? link('#/commands', 'Commands') : null,
        h('a', { href: '/graphql', 'data-nav': 'graphiql' }, 'GraphiQL'),
      ),
      h(
        'span',
        { class: 'who', 'data-scopes': scopes },
        session.token ? `Token scopes: ${scopes}` : 'Auth off',
        session.token ? signOut : null,
      ),
    ),
    main,
  );
  const route = () => {
    current?.abort();
    current = new AbortController();
    const [name = '', ...args] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    const pages: Record<string, Page> = { '': fleetPage, host: hostPage, alerts: alertsPage };
    if (session.admin) pages.commands = commandsPage;
    const page = pages[name] ?? fleetPage;
    for (const a of app.querySelectorAll('nav a')) {
      const href = a.getAttribute('href') ?? '';
      if (href === `#/${name}` || (name === 'host' && href === '#/')) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    main.replaceChildren();
    if (!session.read) {
      main.append(
        h('p', { class: 'error', role: 'alert' }, 'This token has no read scope: nothing to show.'),
      );
      return;
    }
    page(session, main, current.signal, args);
  };
  window.onhashchange = route;
  route();
}

void start();
