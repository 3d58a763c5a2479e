// The report: counts by status, place and month, and the chart
// `malyava report --svg` draws, shown as an image.
import * as api from './api.js';
import { t } from './i18n.js';
import { el, show } from './text.js';

function table(titleKey, rows, label) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  const body = el('tbody');
  for (const r of rows) {
    const bar = el('span', { class: 'bar' });
    bar.style.width = `${Math.round((100 * r.count) / max)}%`;
    body.append(el('tr', {}, el('th', { scope: 'row' }, label(r.name)), el('td', { class: 'num' }, String(r.count)),
      el('td', { class: 'barcell' }, bar)));
  }
  return el('section', { class: 'part' }, el('h2', {}, t(titleKey)), el('table', { class: 'report' }, body));
}

export async function reportView(main) {
  const r = await api.get('/api/report');
  main.replaceChildren(
    el('h1', {}, t('report.title')),
    el('p', {}, t('report.total', { n: r.total })),
    table('report.by-status', r.by_status, (s) => t(`status.${s}`)),
    table('report.by-place', r.by_place, (p) => (p ? show(p) : t('report.no-place'))),
    table('report.by-month', r.by_month, (m) => m),
    el('section', { class: 'part' }, el('h2', {}, t('report.chart')),
      el('img', { class: 'chart', src: `/api/report.svg?n=${r.total}`, alt: t('report.chart-alt') })));
}
