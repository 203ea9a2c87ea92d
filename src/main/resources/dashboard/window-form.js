// The time window (and name filter) form that Runtimes and Stats share.
import { el, isoFromLocal, localFromDate } from './dom.js';

/** A form with since/until/name; onChange({since, until, name}) on submit and once at start. */
export function windowForm(prefix, onChange, { days = 7 } = {}) {
  const since = el('input', { id: `${prefix}-since`, name: 'since', type: 'datetime-local',
    value: localFromDate(new Date(Date.now() - days * 86400000)) });
  const until = el('input', { id: `${prefix}-until`, name: 'until', type: 'datetime-local' });
  const name = el('input', { id: `${prefix}-name`, name: 'job-name', autocomplete: 'off' });
  const current = () => ({ since: isoFromLocal(since.value), until: isoFromLocal(until.value), name: name.value.trim() });
  const form = el('form', { class: 'filters', onsubmit: (event) => { event.preventDefault(); onChange(current()); } },
    el('div', { class: 'field' }, el('label', { for: since.id }, 'Submitted since'), since),
    el('div', { class: 'field' }, el('label', { for: until.id }, 'Submitted before (empty: now)'), until),
    el('div', { class: 'field' }, el('label', { for: name.id }, 'Name contains'), name),
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: `${prefix}-show` }, 'Show')));
  return { form, start: () => onChange(current()) };
}
