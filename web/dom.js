// DOM and formatting helpers of the dashboard. Every piece of data becomes a text node or an attribute value,
// never markup: device names, users and evidence come from MDMs and may hold HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

function setProps(element, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'on') {
      for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
    } else if (key === 'style' || key.startsWith('on')) {
      // Inline styles are refused by the Content-Security-Policy and inline handlers are never wanted.
      throw new Error(`refusing attribute ${key}`);
    } else {
      element.setAttribute(key, value === true ? '' : String(value));
    }
  }
  return element;
}

/** An HTML element: h('a', { href: '#/' }, 'text', child, ...). */
export function h(tag, props, ...children) {
  return append(setProps(document.createElement(tag), props), children);
}

/** An SVG element, the same way. */
export function s(tag, props, ...children) {
  return append(setProps(document.createElementNS(SVG_NS, tag), props), children);
}

/** Replaces everything inside an element. */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** An API error as a short alert: the problem's detail and its request id (to quote when reporting it). */
export function problemMessage(error) {
  const problem = error.problem ?? {};
  return h(
    'p',
    { class: 'problem', role: 'alert' },
    error.message,
    problem.requestId ? h('span', { class: 'muted' }, ` (request ${problem.requestId})`) : null,
  );
}

// A table wider than the screen scrolls sideways in its wrapper; only then is the wrapper a tab stop, so that a
// keyboard can scroll it without every table adding a stop.
const overflowWatch = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    if (target.scrollWidth > target.clientWidth) {
      target.setAttribute('tabindex', '0');
      target.setAttribute('role', 'region');
      target.setAttribute('aria-label', target.querySelector('caption')?.textContent ?? 'table');
    } else {
      for (const name of ['tabindex', 'role', 'aria-label']) target.removeAttribute(name);
    }
  }
});

/** A table with a caption, header cells and rows of cells (each a string, a node or a [props, ...children] pair). */
export function table({ caption, headers, rows, testid, className }) {
  const cell = (tag, content) => (Array.isArray(content) ? h(tag, ...content) : h(tag, null, content));
  const wrapper = h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { 'data-testid': testid, class: className },
      h('caption', null, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((header) => h('th', { scope: 'col' }, header)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((row) =>
          Array.isArray(row)
            ? h(
                'tr',
                null,
                row.map((c) => cell('td', c)),
              )
            : h(
                'tr',
                row.props,
                row.cells.map((c) => cell('td', c)),
              ),
        ),
      ),
    ),
  );
  overflowWatch.observe(wrapper);
  return wrapper;
}

const numberFormat = new Intl.NumberFormat();
const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

export const formatNumber = (value) => numberFormat.format(value);
export const formatPercent = (ratio) => (ratio === null || ratio === undefined ? '—' : percentFormat.format(ratio));
/** A snapshot day (YYYY-MM-DD, UTC) as e.g. "Nov 3". */
export const formatDay = (day) => dayFormat.format(new Date(`${day}T00:00:00Z`));

/** How long ago an instant was, roughly: "just now", "12 min ago", "3 h ago", "5 d ago". */
export function age(iso, now = Date.now()) {
  const minutes = Math.round((now - Date.parse(iso)) / 60000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

/** A <time> element showing the date and how long ago; "never" (or the given text) when there is none. */
export function time(iso, missing = 'never') {
  if (!iso) return h('span', { class: 'muted' }, missing);
  return h('time', { datetime: iso, title: iso }, `${dateTimeFormat.format(new Date(iso))} (${age(iso)})`);
}

/** A short label for a value that is null when the MDM does not say. */
export const yesNo = (value) => (value === null || value === undefined ? 'unknown' : value ? 'yes' : 'no');

/** Random hex, for idempotency keys (crypto.getRandomValues works outside secure contexts too). */
export function randomKey(bytes = 16) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export const FINDING_RULES = {
  'blocked-messenger': 'Blocked messenger',
  'no-work-profile': 'No work profile',
  unencrypted: 'Unencrypted',
  jailbroken: 'Jailbroken or rooted',
  'stale-check-in': 'Stale check-in',
  'mdm-noncompliant': 'Noncompliant in the MDM',
  'owner-departed': 'Owner has left',
  'backup-not-blocked': 'Work backup not blocked',
  'cross-profile-contacts': 'Work contacts visible to personal apps',
  'policy-drift': 'Policy drift',
};

export const ruleLabel = (rule) => FINDING_RULES[rule] ?? rule;

export const SEVERITIES = ['critical', 'high', 'medium', 'low'];
export const STATES = ['compliant', 'noncompliant', 'unknown', 'gone'];

/** A severity shown as a labelled badge (the color is never the only cue). */
export const severityBadge = (severity) => h('span', { class: `badge severity-${severity}` }, severity);
