'use strict';
// The inventory's filters, applied as the visitor types: the same rules as the server's (dataFilters.ts) on the
// same data-* attributes, so a filtered URL gives the same page with and without JavaScript. Items are only
// shown or hidden; the URL follows, so a filtered view can be shared.
(() => {
  const form = document.querySelector('form.filters');
  if (!form) return;
  const normalise = (text) => text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
  const words = (q) => normalise(q).split(/\s+/).filter(Boolean);
  const list = (value) => (value ? value.split(' ') : []);
  const textOf = (root, selectors) => normalise(selectors.map((s) => [...root.querySelectorAll(s)].map((n) => n.textContent).join(' ')).join(' '));
  const has = (haystack, q) => q.every((word) => haystack.includes(word));

  const parents = new Map([...form.querySelectorAll('option[data-parent]')].map((o) => [o.value, o.dataset.parent]));
  const covers = (places, territory) => places.some((p) => p === territory || p === parents.get(territory) || parents.get(p) === territory);

  const datasets = [...document.querySelectorAll('li.dataset')].map((el) => ({
    el, producers: list(el.dataset.producers), themes: list(el.dataset.themes), places: list(el.dataset.places), text: normalise(el.dataset.search || ''),
  }));
  const types = [...document.querySelectorAll('section.type')].map((el) => ({
    el,
    producers: list(el.dataset.producers), themes: list(el.dataset.themes), access: el.dataset.access,
    text: textOf(el, ['.type-name', '.type-description']),
    fields: [...el.querySelectorAll('li.field')].map((f) => ({
      el: f, id: f.id.slice('field-'.length), producers: list(f.dataset.producers), themes: list(f.dataset.themes), access: f.dataset.access,
      text: textOf(f, ['.field-name', '.field-type', '.field-description']),
    })),
  }));
  const restrictedRows = [...document.querySelectorAll('tr[data-field]')];
  const count = document.getElementById('data-count');
  const note = document.getElementById('data-territory-note');

  function apply() {
    const data = new FormData(form);
    const f = { q: words(String(data.get('q') || '')), producer: data.get('producer') || '', theme: data.get('theme') || '', access: data.get('access') || '', territory: data.get('territory') || '' };
    let shownDatasets = 0;
    for (const d of datasets) {
      const show = (!f.producer || d.producers.includes(f.producer)) && (!f.theme || d.themes.includes(f.theme)) && f.access !== 'restricted'
        && (!f.territory || covers(d.places, f.territory)) && has(d.text, f.q);
      d.el.hidden = !show;
      if (show) shownDatasets++;
    }
    const shownFields = new Set();
    let shownTypes = 0;
    for (const t of types) {
      const typeMatches = has(t.text, f.q);
      let any = false;
      for (const field of t.fields) {
        const show = (!f.producer || field.producers.includes(f.producer)) && (!f.theme || field.themes.includes(f.theme)) && (!f.access || field.access === f.access)
          && (typeMatches || has(field.text, f.q));
        field.el.hidden = !show;
        if (show) { any = true; shownFields.add(field.id); }
      }
      if (!t.fields.length) any = typeMatches && (!f.producer || t.producers.includes(f.producer)) && (!f.theme || t.themes.includes(f.theme)) && (!f.access || f.access === t.access);
      t.el.hidden = !any;
      if (any) shownTypes++;
    }
    for (const row of restrictedRows) row.hidden = !shownFields.has(row.dataset.field);
    for (const empty of document.querySelectorAll('[data-empty]')) empty.hidden = (empty.dataset.empty === 'datasets' ? shownDatasets : shownTypes) > 0;
    if (note) note.hidden = !f.territory;
    if (count) count.textContent = count.dataset.template.replace('{d}', shownDatasets).replace('{t}', shownTypes).replace('{f}', shownFields.size);
    const params = new URLSearchParams();
    for (const [key, value] of data) if (value) params.set(key, String(value));
    history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  }

  let timer;
  form.addEventListener('input', (event) => {
    clearTimeout(timer);
    timer = setTimeout(apply, event.target.type === 'search' ? 150 : 0);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    apply();
  });
})();
