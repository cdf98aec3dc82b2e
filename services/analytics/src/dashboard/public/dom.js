// Small DOM helpers shared by the dashboard's modules.

export const $ = (id) => document.getElementById(id);

/** The placeholder a panel shows while its range holds no data. */
export function showEmpty(el) {
  if (el.querySelector('.empty')) return;
  const empty = document.createElement('div');
  empty.className = 'empty';
  empty.textContent = 'No data in this range yet';
  el.replaceChildren(empty);
}
