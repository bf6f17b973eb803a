/*
 * The transparency dashboard's charts: each indicator's table (rendered by the server, the accessible
 * alternative) is drawn as a line chart with Chart.js (UMD, /pages/vendor/chart.umd.min.js, loaded before
 * this file). The chart reads the table itself, so the two cannot disagree. Once drawn, the table folds under
 * its summary; without JavaScript it stays open and is the page's content.
 */
(() => {
  const Chart = window.Chart;
  if (!Chart) return;
  const lang = document.documentElement.lang || 'fr';
  const style = getComputedStyle(document.documentElement);
  const ink = style.getPropertyValue('--ink').trim() || '#1a1a1a';
  const line = style.getPropertyValue('--link').trim() || '#0b4f9c';
  Chart.defaults.color = ink;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 13;

  for (const trend of document.querySelectorAll('[data-trend]')) {
    const rows = Array.from(trend.querySelectorAll('tbody tr[data-value]'));
    const box = trend.querySelector('.chart');
    const canvas = box && box.querySelector('canvas');
    if (!rows.length || !canvas) continue;
    const labels = rows.map((row) => (row.querySelector('th') || row).textContent.trim());
    const values = rows.map((row) => Number(row.dataset.value));
    const percent = trend.dataset.unit === '%';
    box.hidden = false;
    new Chart(canvas, {
      type: 'line',
      data: { labels, datasets: [{ label: trend.dataset.name, data: values, borderColor: line, backgroundColor: line, borderWidth: 2, pointRadius: 3, tension: 0 }] },
      options: {
        // No animation: the chart is there at once, and nothing moves for those who asked for less motion.
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: lang === 'en' ? 'en-GB' : 'fr-FR',
        plugins: { legend: { display: false } },
        scales: {
          // From zero (and to 100 for a share): a small change is not drawn as a large one.
          y: { beginAtZero: true, max: percent ? 100 : undefined, title: { display: true, text: trend.dataset.unitLabel }, grid: { color: '#d0d0d0' } },
          x: { ticks: { autoSkip: true, maxRotation: 0 }, grid: { display: false } },
        },
      },
    });
    const details = trend.querySelector('details.values');
    if (details) details.open = false;
  }
})();
