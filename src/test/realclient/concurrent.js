// Concurrent edits of one order on several real Odoo 12 POS clients (docs/conflicts.md).
//
// Played with the real-client harness against a running PosSync:
//   run-realclient.sh URL --scenarios src/test/realclient/concurrent.js --no-builtin
// Set CONFLICTS=reject when the server runs with sync.conflicts=reject: then only convergence is
// checked (the original's policy drops one side's change and shows a conflict popup).
//
// Devices: A, B, C (three POS configs) and A2 (a second device of A's POS session). Each scenario
// makes two or three devices edit the same order at the same moment: every update is held
// HOLD_MS before it reaches the server, so all of them are based on the same revision.
'use strict';

const MERGE = (process.env.CONFLICTS || 'merge') !== 'reject';
const HOLD_MS = 1500;

module.exports = function (api) {
  const {check, waitFor, settle, sleep, safeJson, sharedOrder, addProduct, selectOrder,
    findOrder, orderView, conflictPopups} = api;

  // What a device shows of an order, lines sorted: a device lists lines in the order it learned
  // them, which is the client's own affair (see docs/conflicts.md).
  function shown(dev, uid) {
    const v = orderView(findOrder(dev, uid));
    if (!v) return null;
    return JSON.stringify({uid: v.uid, num: v.order_num,
      lines: v.lines.map(l => `${l.name} x${l.qty} @${l.price}`).sort()});
  }

  /** every device shows order `uid` as `ref` does, within `ms`; returns the lines */
  async function converged(devs, uid, ms = 20000) {
    const ok = await waitFor(() => {
      const want = shown(devs[0], uid);
      return want && devs.every(d => shown(d, uid) === want);
    }, ms);
    check(ok, 'devices differ: ' + devs.map(d => d.key + '=' + shown(d, uid)).join(' '));
    return JSON.parse(shown(devs[0], uid)).lines;
  }
  function noPopups(devs, since) {
    if (!MERGE) return;
    for (const d of devs) check(conflictPopups(d, since).length === 0, `${d.key}: conflict popup shown`);
  }
  function ids(dev) { return api.products(dev).map(p => p.id); }

  /** runs `edits` (one function per device) at once, each update held so they all start from
   * the same revision; then waits until every device is quiet */
  async function atOnce(ctx, devs, edits) {
    for (const d of devs) d.holdMs = HOLD_MS;
    edits.forEach(f => f());
    await sleep(HOLD_MS * 2 + 1000);
    for (const d of devs) d.holdMs = 0;
    await settle(ctx.devs, 1500);
  }

  async function orderOn(ctx, devs) {
    const base = await sharedOrder(ctx);
    for (const d of devs) check(selectOrder(d, base.uid), `${d.key}: order ${base.uid} missing`);
    return base;
  }

  api.scenario('concurrent_add', 'two devices add a different product to the same order at once: both lines everywhere', async ctx => {
    const [A, B] = ctx.devs;
    const base = await orderOn(ctx, [A, B]);
    const since = Date.now();
    const p = ids(A);
    await atOnce(ctx, [A, B], [() => addProduct(A, p[0]), () => addProduct(B, p[1])]);
    const lines = await converged(ctx.devs, base.uid);
    if (MERGE) {
      check(lines.length === base.lines.length + 2, `lines lost: before ${base.lines.length}, after ${safeJson(lines)}`);
    }
    noPopups(ctx.devs, since);
    ctx.shared.order = null;
  });

  api.scenario('qty_vs_add', 'one device changes a quantity while another adds a product: both changes everywhere', async ctx => {
    const [A, B] = ctx.devs;
    const base = await orderOn(ctx, [A, B]);
    const since = Date.now();
    const p = ids(A);
    await atOnce(ctx, [A, B], [
      () => { const o = findOrder(B, base.uid); const l = o.get_orderlines()[0]; o.select_orderline(l); l.set_quantity(5); },
      () => addProduct(A, p[2]),
    ]);
    const lines = await converged(ctx.devs, base.uid);
    if (MERGE) {
      check(lines.length === base.lines.length + 1, `lines lost: ${safeJson(lines)}`);
      check(lines.some(l => l.includes(' x5.000 ')), `quantity 5 lost: ${safeJson(lines)}`);
    }
    noPopups(ctx.devs, since);
    ctx.shared.order = null;
  });

  api.scenario('same_line', 'two devices change the quantity of the same line at once: one value wins everywhere', async ctx => {
    const [A, B] = ctx.devs;
    const base = await orderOn(ctx, [A, B]);
    const since = Date.now();
    const setQty = (dev, q) => () => {
      const o = findOrder(dev, base.uid); const l = o.get_orderlines()[0]; o.select_orderline(l); l.set_quantity(q);
    };
    await atOnce(ctx, [A, B], [setQty(A, 3), setQty(B, 7)]);
    const lines = await converged(ctx.devs, base.uid);
    check(lines.length === base.lines.length, `line count changed: ${safeJson(lines)}`);
    if (MERGE) {
      check(lines.some(l => / x(3|7)\.000 /.test(l)), `neither 3 nor 7 kept: ${safeJson(lines)}`);
    }
    noPopups(ctx.devs, since);
    ctx.shared.order = null;
  });

  api.scenario('offline_third', 'two devices edit at once while a third is offline; it comes back and shows the same order', async ctx => {
    const [A, B, C] = ctx.devs;
    const base = await orderOn(ctx, [A, B, C]);
    const since = Date.now();
    const p = ids(A);
    C.setOffline(true);
    await atOnce(ctx, [A, B], [() => addProduct(A, p[3 % p.length]), () => addProduct(B, p[0])]);
    const setQty = (dev, q) => () => {
      const o = findOrder(dev, base.uid); const l = o.get_orderlines()[0]; o.select_orderline(l); l.set_quantity(q);
    };
    await atOnce(ctx, [A, B], [setQty(A, 4), () => addProduct(B, p[1])]);
    C.setOffline(false);
    // C notices at its next poll retry or offline timer (the client's own random delays)
    const online = await waitFor(() => C.pos.sync_bus.longpolling_connection.is_online, 60000);
    check(online, 'C did not come back online');
    await settle(ctx.devs, 3000);
    const lines = await converged(ctx.devs, base.uid, 30000);
    if (MERGE) {
      check(lines.length === base.lines.length + 3, `lines lost: ${safeJson(lines)}`);
      check(lines.some(l => l.includes(' x4.000 ')), `quantity 4 lost: ${safeJson(lines)}`);
    }
    noPopups([A, B, ctx.devs[3]], since);
    ctx.shared.order = null;
  });

  api.scenario('three_way', 'three devices add a product to the same order at once: all three lines everywhere', async ctx => {
    const [A, B, C] = ctx.devs;
    const base = await orderOn(ctx, [A, B, C]);
    const since = Date.now();
    const p = ids(A);
    await atOnce(ctx, [A, B, C], [() => addProduct(A, p[0]), () => addProduct(B, p[1]), () => addProduct(C, p[2])]);
    const lines = await converged(ctx.devs, base.uid);
    if (MERGE) {
      check(lines.length === base.lines.length + 3, `lines lost: before ${base.lines.length}, after ${safeJson(lines)}`);
    }
    noPopups(ctx.devs, since);
    ctx.shared.order = null;
  });

  api.scenario('quiet_check', 'after all of the above, a last look: every device shows the same orders', async ctx => {
    await settle(ctx.devs, 1000);
    const uids = new Set(ctx.devs[0].pos.get_order_list().filter(o => o.get_orderlines().length).map(o => o.uid));
    for (const uid of uids) await converged(ctx.devs, uid, 10000);
    for (const d of ctx.devs) {
      const mine = d.pos.get_order_list().filter(o => o.get_orderlines().length).map(o => o.uid).sort();
      check(JSON.stringify(mine) === JSON.stringify([...uids].sort()), `${d.key} has orders ${safeJson(mine)}, A has ${safeJson([...uids])}`);
    }
  });
};
