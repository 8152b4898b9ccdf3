// The VSOA Explorer page: plain browser JavaScript over the explorer's API (POST /api/*) and its
// event stream (GET /events). uPlot draws the charts.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  /** Points kept per chart: a few minutes at the explorer's 10 updates a second. */
  const MAX_POINTS = 3000;
  /** Window over which a URL's rate is measured (ms). */
  const RATE_WINDOW = 2000;

  async function api(action, body = {}) {
    const res = await fetch(`/api/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(json && json.error ? json.error.message : res.statusText);
    return json;
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props);
    for (const child of children) node.append(child);
    return node;
  }

  function showProblem(error) {
    $('problem').textContent = error ? String(error.message || error) : '';
  }

  // ---- connection ----------------------------------------------------------------------------

  let linkState = 'idle';

  function renderState(state) {
    linkState = state.state;
    $('link-state').textContent = state.state;
    $('link-state').dataset.state = state.state;
    if (state.target && !$('target').value) $('target').value = state.target;
    $('server-info').textContent = state.info == null ? '' : `server: ${JSON.stringify(state.info)}`;
    $('problem').textContent = state.problem || '';
    renderSubscriptions(state.subscriptions);
  }

  $('connect-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showProblem(null);
    api('connect', { url: $('target').value.trim(), passwd: $('passwd').value }).then(renderState, showProblem);
  });
  $('disconnect').addEventListener('click', () => api('disconnect').then(renderState, showProblem));

  // ---- calls ---------------------------------------------------------------------------------

  const history = [];

  /** The param textarea's value: undefined when empty; throws when it is not JSON. */
  function readParam(text) {
    const trimmed = text.trim();
    return trimmed === '' ? undefined : JSON.parse(trimmed);
  }

  $('call-param').addEventListener('input', () => {
    try {
      readParam($('call-param').value);
      $('call-param').classList.remove('invalid');
      $('param-check').textContent = '';
    } catch (error) {
      $('call-param').classList.add('invalid');
      $('param-check').textContent = error.message;
    }
  });

  async function runCall(request) {
    const result = await api('call', request);
    $('call-result').hidden = false;
    $('call-status').textContent = `${result.statusName} (${result.status})`;
    $('call-status').className = result.status === 0 ? 'status-ok' : 'status-bad';
    $('call-time').textContent = result.ms.toFixed(1);
    $('call-reply-param').textContent = result.param === null ? '(no param)' : JSON.stringify(result.param, null, 2);
    $('call-reply-data').textContent =
      result.dataBytes === 0
        ? 'no data'
        : `data: ${result.dataBytes} bytes, hex ${result.dataHex.slice(0, 512)}` +
          (result.dataText === null ? '' : `, text ${JSON.stringify(result.dataText.slice(0, 512))}`);
    remember(request);
  }

  function remember(request) {
    const key = JSON.stringify(request);
    const index = history.findIndex((entry) => JSON.stringify(entry) === key);
    if (index >= 0) history.splice(index, 1);
    history.unshift(request);
    history.length = Math.min(history.length, 30);
    $('history').replaceChildren(
      ...history.map((entry) => {
        const rerun = el('button', { type: 'button', textContent: 're-run' });
        rerun.addEventListener('click', () => {
          fillCall(entry);
          runCall(entry).catch(showProblem);
        });
        const param = entry.param === undefined ? '' : ` ${JSON.stringify(entry.param)}`;
        return el('li', {}, `${entry.method} ${entry.url}${param}`, rerun);
      }),
    );
  }

  function fillCall(request) {
    $('call-method').value = request.method;
    $('call-url').value = request.url;
    $('call-param').value = request.param === undefined ? '' : JSON.stringify(request.param);
    $('call-data').value = request.data || '';
    $('call-data-encoding').value = request.dataEncoding || 'text';
  }

  $('call-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showProblem(null);
    let param;
    try {
      param = readParam($('call-param').value);
    } catch (error) {
      return showProblem(new Error(`param is not JSON: ${error.message}`));
    }
    const request = { url: $('call-url').value.trim(), method: $('call-method').value, param };
    if ($('call-data').value) {
      request.data = $('call-data').value;
      request.dataEncoding = $('call-data-encoding').value;
    }
    runCall(request).catch(showProblem);
  });

  // ---- datagrams, description, lookup --------------------------------------------------------

  $('datagram-form').addEventListener('submit', (event) => {
    event.preventDefault();
    let param;
    try {
      param = readParam($('datagram-param').value);
    } catch (error) {
      return showProblem(new Error(`param is not JSON: ${error.message}`));
    }
    const quick = $('datagram-quick').checked;
    api('datagram', { url: $('datagram-url').value.trim(), param, quick }).then(
      (result) => ($('datagram-result').textContent = result.sent ? `sent${quick ? ' over UDP' : ''}` : 'not sent (the link refused it)'),
      showProblem,
    );
  });

  $('describe').addEventListener('click', () =>
    api('describe').then((description) => {
      if (description === null) {
        $('description').textContent = 'This server does not describe itself.';
        return;
      }
      const pick = (url, field) =>
        el('li', {}, el('a', { href: '#', textContent: url, onclick: (e) => (e.preventDefault(), ($(field).value = url)) }));
      $('description').replaceChildren(
        el('h3', { textContent: 'Commands' }),
        el('ul', { id: 'described-commands' }, ...description.commands.map((url) => pick(url, 'call-url'))),
        el('h3', { textContent: 'Publishes' }),
        el('ul', { id: 'described-publishes' }, ...description.publishes.map((url) => pick(url, 'subscribe-url'))),
      );
    }, showProblem),
  );

  $('lookup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    api('lookup', { name: $('lookup-name').value.trim() }).then(
      (entry) => ($('lookup-result').textContent = `${entry.name} → ${entry.addr}:${entry.port}${entry.security ? ' (TLS)' : ''}`),
      (error) => ($('lookup-result').textContent = error.message),
    );
  });

  // ---- subscriptions and the live tree -------------------------------------------------------

  function renderSubscriptions(urls) {
    $('subscriptions').replaceChildren(
      ...urls.map((url) => {
        const drop = el('button', { type: 'button', textContent: 'unsubscribe' });
        drop.addEventListener('click', () => api('unsubscribe', { url }).then(renderState, showProblem));
        return el('li', { className: 'subscription' }, url, drop);
      }),
    );
  }

  $('subscribe-form').addEventListener('submit', (event) => {
    event.preventDefault();
    api('subscribe', { url: $('subscribe-url').value.trim() }).then(renderState, showProblem);
  });

  /** url → { count, param, dataBytes, dataHead, quick, recent: [[at, delta]] } */
  const topics = new Map();
  let renderQueued = false;

  function onTopics(batch) {
    for (const update of batch.updates) {
      const topic = topics.get(update.url) || { recent: [] };
      Object.assign(topic, update);
      topic.recent.push([batch.at, update.delta]);
      topics.set(update.url, topic);
      feedCharts(update.url, batch.at, update.param);
    }
    const notes = [];
    if (batch.sampled > 0) notes.push(`fast publisher: ${batch.sampled} publishes folded into the last value of their URL`);
    if (batch.untracked > 0) notes.push(`${batch.untracked} publishes on URLs beyond the tracked limit counted only`);
    if (batch.skippedFlushes > 0) notes.push(`this page fell behind and missed ${batch.skippedFlushes} updates`);
    if (notes.length > 0) {
      $('sampling').hidden = false;
      $('sampling').textContent = `Sampling — ${notes.join('; ')}.`;
    }
    if (!renderQueued) {
      renderQueued = true;
      requestAnimationFrame(renderTopics);
    }
  }

  function rateOf(topic, now) {
    topic.recent = topic.recent.filter(([at]) => now - at < RATE_WINDOW);
    return topic.recent.reduce((sum, [, delta]) => sum + delta, 0) / (RATE_WINDOW / 1000);
  }

  /** The URL's path segments as tree rows: a group row for each prefix, then the URL itself. */
  function treeRows() {
    const urls = [...topics.keys()].sort();
    const groups = new Map();
    for (const url of urls) {
      const parts = url.split('/').slice(1, -1);
      let prefix = '/';
      for (const part of parts) {
        prefix += `${part}/`;
        const group = groups.get(prefix) || { count: 0 };
        group.count += topics.get(url).count;
        groups.set(prefix, group);
      }
    }
    const rows = [];
    const shown = new Set();
    for (const url of urls) {
      const parts = url.split('/').slice(1, -1);
      let prefix = '/';
      parts.forEach((part, depth) => {
        prefix += `${part}/`;
        if (!shown.has(prefix) && prefix !== url) {
          shown.add(prefix);
          rows.push({ group: true, url: prefix, depth, count: groups.get(prefix).count });
        }
      });
      rows.push({ group: false, url, depth: parts.length });
    }
    return rows;
  }

  function renderTopics() {
    renderQueued = false;
    const now = Date.now();
    $('topic-count').textContent = `(${topics.size} URL${topics.size === 1 ? '' : 's'})`;
    const body = $('topics').tBodies[0];
    body.replaceChildren(
      ...treeRows().map((row) => {
        const indent = '\u00a0\u00a0'.repeat(row.depth);
        if (row.group) {
          return el(
            'tr',
            { className: 'group' },
            el('td', { textContent: indent + row.url }),
            el('td', { textContent: row.count }),
            el('td'),
            el('td'),
          );
        }
        const topic = topics.get(row.url);
        const tr = el(
          'tr',
          { className: 'topic' },
          el('td', { textContent: indent + row.url }),
          el('td', { className: 'count', textContent: topic.count }),
          el('td', { className: 'rate', textContent: rateOf(topic, now).toFixed(1) }),
          el('td', { className: 'value' }, valueView(row.url, topic)),
        );
        tr.dataset.url = row.url;
        return tr;
      }),
    );
  }

  /** The last value, its numbers (and booleans) clickable to chart them. */
  function valueView(url, topic) {
    const box = el('span');
    const fields = numericFields(topic.param);
    if (topic.paramCut) box.append(el('span', { textContent: `${topic.param} (cut)` }));
    else if (fields.length === 0) box.append(JSON.stringify(topic.param));
    for (const [path, value] of fields) {
      const field = el('span', { className: 'field', textContent: `${path || 'value'}: ${value}` });
      field.dataset.url = url;
      field.dataset.path = path;
      if (charts.has(chartKey(url, path))) field.classList.add('charted');
      field.addEventListener('click', () => addChart(url, path));
      box.append(field, ' ');
    }
    if (topic.dataBytes > 0)
      box.append(` +${topic.dataBytes} bytes (${topic.dataHead}${topic.dataBytes > topic.dataHead.length / 2 ? '…' : ''})`);
    if (topic.quick) box.append(' quick');
    return box;
  }

  /** [path, value] for each number or boolean in a param, depth-first, at most 20. */
  function numericFields(param, path = '', out = []) {
    if (out.length >= 20) return out;
    if (typeof param === 'number' || typeof param === 'boolean') out.push([path, Number(param)]);
    else if (param && typeof param === 'object') {
      for (const [key, value] of Object.entries(param)) numericFields(value, path ? `${path}.${key}` : key, out);
    }
    return out;
  }

  function valueAt(param, path) {
    let value = param;
    for (const key of path ? path.split('.') : []) value = value == null ? undefined : value[key];
    return typeof value === 'number' || typeof value === 'boolean' ? Number(value) : null;
  }

  // ---- charts --------------------------------------------------------------------------------

  /** `${url}#${path}` → { plot, xs, ys } */
  const charts = new Map();
  const chartKey = (url, path) => `${url}#${path}`;

  function xRange(xs, min, max) {
    if (!xs || xs.length === 0) return [min, max];
    const last = xs[xs.length - 1];
    return [Math.min(xs[0], last - 10), last];
  }

  function lineChart(title, container) {
    const width = Math.max(320, container.clientWidth - 10);
    return new uPlot(
      {
        width,
        height: 160,
        // At least the last 10 s across, from the data itself: for a single point uPlot passes a
        // range it has already widened (to years, on a time scale).
        scales: { x: { time: true, range: (u, min, max) => xRange(u.data[0], min, max) } },
        series: [{}, { label: title, stroke: '#0b62c4', width: 1.5, spanGaps: true }],
      },
      [[], []],
      container,
    );
  }

  function addChart(url, path) {
    const key = chartKey(url, path);
    if (charts.has(key)) return;
    if (charts.size === 0) $('charts').replaceChildren();
    const box = el('div', { className: 'chart' });
    box.dataset.key = key;
    const close = el('button', { type: 'button', textContent: 'remove' });
    close.addEventListener('click', () => {
      charts.get(key).plot.destroy();
      charts.delete(key);
      box.remove();
    });
    box.append(el('div', { className: 'chart-title', textContent: `${url} ${path || 'value'} ` }, close));
    $('charts').append(box);
    const chart = { plot: lineChart(path || url, box), xs: [], ys: [], box };
    charts.set(key, chart);
    const topic = topics.get(url);
    if (topic) pushPoint(chart, Date.now(), valueAt(topic.param, path));
    renderTopics();
  }

  function pushPoint(chart, at, value) {
    chart.xs.push(at / 1000);
    chart.ys.push(value);
    if (chart.xs.length > MAX_POINTS) {
      chart.xs.shift();
      chart.ys.shift();
    }
    chart.plot.setData([chart.xs, chart.ys]);
    chart.box.dataset.points = String(chart.xs.length);
  }

  function feedCharts(url, at, param) {
    for (const [key, chart] of charts) {
      const hash = key.lastIndexOf('#');
      if (key.slice(0, hash) === url) pushPoint(chart, at, valueAt(param, key.slice(hash + 1)));
    }
  }

  const ping = { plot: null, xs: [], ys: [], box: $('ping-chart') };

  function onPing(sample) {
    if (!ping.plot) ping.plot = lineChart('RTT ms', $('ping-chart'));
    pushPoint(ping, sample.at, sample.rtt);
  }

  // ---- the event stream ----------------------------------------------------------------------

  const events = new EventSource('/events');
  events.addEventListener('state', (event) => renderState(JSON.parse(event.data)));
  events.addEventListener('topics', (event) => onTopics(JSON.parse(event.data)));
  events.addEventListener('ping', (event) => onPing(JSON.parse(event.data)));
  events.addEventListener('open', () => document.body.classList.add('live'));
  events.addEventListener('error', () => linkState !== 'idle' && showProblem(new Error('lost the explorer (is vsoa ui still running?)')));
})();
