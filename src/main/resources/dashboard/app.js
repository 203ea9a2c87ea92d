// The dashboard's router: #/jobs, #/jobs/{id}, #/runtimes, #/stats, #/schedules[/{id}]. Each view module exports
// mount(container, params) and returns a function that stops it (streams, timers).
import * as jobs from './jobs.js';
import * as job from './job.js';
import * as runtimes from './runtimes.js';
import * as stats from './stats.js';
import * as schedules from './schedules.js';
import { loadConfig } from './api.js';
import { message } from './dom.js';

const container = document.getElementById('view');
let unmount = null;

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [view, id] = hash.split('/');
  if (view === 'jobs' && id) return { view: 'jobs', module: job, params: { id: decodeURIComponent(id) } };
  if (view === 'runtimes') return { view, module: runtimes, params: {} };
  if (view === 'stats') return { view, module: stats, params: {} };
  if (view === 'schedules') return { view, module: schedules, params: { id: id ? decodeURIComponent(id) : null } };
  return { view: 'jobs', module: jobs, params: {} };
}

function show() {
  if (unmount) unmount();
  unmount = null;
  const { view, module, params } = route();
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  container.replaceChildren();
  container.setAttribute('aria-busy', 'true');
  try {
    unmount = module.mount(container, params) || null;
  } catch (e) {
    container.replaceChildren(message(e.message));
  }
  container.setAttribute('aria-busy', 'false');
}

// The skip link moves the focus; as a link to #view it would change the route.
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  container.focus();
});

window.addEventListener('hashchange', () => {
  show();
  container.focus({ preventScroll: true }); // keyboard and screen-reader users land on the view
});

loadConfig()
  .then(show)
  .catch((e) => container.replaceChildren(message(`The dashboard could not start: ${e.message}`)));
