// The Gorse JavaScript SDK (gorsejs) against a running `reco serve` at RECO_URL, which serves
// demo data (users u0.., items i0..) with trained models.
import { test } from "node:test";
import assert from "node:assert/strict";
import gorsejs from "gorsejs";

const { Gorse, GorseException } = gorsejs;

const url = process.env.RECO_URL;
if (!url) throw new Error("RECO_URL is not set (e.g. http://127.0.0.1:8000)");
const client = new Gorse({ endpoint: url, secret: process.env.RECO_API_KEY ?? "" });
const timestamp = "2022-08-07T00:26:46Z";

function assertScores(list, max) {
  assert.ok(Array.isArray(list), `expected an array, got ${JSON.stringify(list)}`);
  assert.ok(list.length <= max, `more than ${max} entries`);
  for (const entry of list) {
    assert.deepEqual(Object.keys(entry).sort(), ["Id", "Score"]);
    assert.equal(typeof entry.Id, "string");
    assert.equal(typeof entry.Score, "number");
  }
}

test("users: insert, get, delete", async () => {
  assert.equal(await client.insertUser({ UserId: "sdk100", Labels: ["a", "b", "c"], Comment: "comment" }), 1);
  assert.deepStrictEqual(await client.getUser("sdk100"), {
    UserId: "sdk100",
    Labels: ["a", "b", "c"],
    Subscribe: null,
    Comment: "comment",
  });
  assert.equal(await client.insertUsers([{ UserId: "sdk101" }, { UserId: "sdk102" }]), 2);
  assert.equal(await client.deleteUser("sdk100"), 1);
  await assert.rejects(client.getUser("sdk100"), (e) => e instanceof GorseException && e.code === 404);
});

test("users: cursor paging lists each user once", async () => {
  const seen = new Set();
  let cursor = "";
  for (let page = 0; page < 1000; page++) {
    const result = await client.getUsers({ n: 17, cursor });
    for (const user of result.Users) {
      assert.ok(!seen.has(user.UserId), `user ${user.UserId} listed twice`);
      seen.add(user.UserId);
    }
    cursor = result.Cursor;
    if (!cursor) break;
  }
  assert.ok(seen.has("u0") && seen.has("sdk101"));
});

test("items: upsert, get, categories, delete", async () => {
  const item = {
    ItemId: "sdk100",
    IsHidden: true,
    Labels: ["a", "b", "c"],
    Categories: ["d", "e"],
    Timestamp: timestamp,
    Comment: "comment",
  };
  assert.equal(await client.upsertItem(item), 1);
  assert.deepStrictEqual(await client.getItem("sdk100"), item);
  assert.equal(await client.insertItemCategory("sdk100", "f"), 1);
  assert.deepEqual((await client.getItem("sdk100")).Categories, ["d", "e", "f"]);
  assert.equal(await client.deleteItemCategory("sdk100", "d"), 1);
  assert.deepEqual((await client.getItem("sdk100")).Categories, ["e", "f"]);
  assert.equal(await client.deleteItem("sdk100"), 1);
  await assert.rejects(client.getItem("sdk100"), (e) => e instanceof GorseException && e.code === 404);
});

test("feedback: insert keeps, upsert replaces, paging", async () => {
  const rows = [
    { FeedbackType: "like", UserId: "sdk200", ItemId: "i1", Timestamp: timestamp, Comment: "one" },
    { FeedbackType: "read", UserId: "sdk200", ItemId: "i2", Timestamp: timestamp },
    { FeedbackType: "read", UserId: "sdk200", ItemId: "i3", Timestamp: timestamp },
  ];
  assert.equal(await client.insertFeedbacks(rows), 3);
  await client.insertFeedbacks([{ ...rows[0], Comment: "two" }]);
  assert.equal((await client.getFeedback({ type: "like", userId: "sdk200", itemId: "i1" })).Comment, "one");
  await client.upsertFeedbacks([{ ...rows[0], Comment: "two" }]);
  const stored = await client.getFeedback({ type: "like", userId: "sdk200", itemId: "i1" });
  assert.equal(stored.Comment, "two");
  assert.equal(stored.Timestamp, timestamp);
  assert.equal((await client.getUserFeedback("sdk200")).length, 3);
  assert.equal((await client.getUserFeedbackByType("sdk200", "read")).length, 2);

  const seen = new Set();
  let cursor = "";
  for (let page = 0; page < 10000; page++) {
    const result = await client.getFeedbacks("like", { n: 101, cursor });
    for (const f of result.Feedback) {
      const key = `${f.FeedbackType}/${f.UserId}/${f.ItemId}`;
      assert.equal(f.FeedbackType, "like");
      assert.ok(!seen.has(key), `${key} listed twice`);
      seen.add(key);
    }
    cursor = result.Cursor;
    if (!cursor) break;
  }
  assert.ok(seen.has("like/sdk200/i1"));
  const all = await client.getFeedbacks(undefined, { n: 5 });
  assert.equal(all.Feedback.length, 5);
  assert.equal(typeof all.Cursor, "string");
});

test("recommendations", async () => {
  const seen = new Set((await client.getUserFeedback("u3")).map((f) => f.ItemId));
  const recommended = await client.getRecommend({ userId: "u3", cursorOptions: { n: 10 } });
  assert.equal(recommended.length, 10);
  for (const id of recommended) {
    assert.equal(typeof id, "string");
    assert.ok(!seen.has(id), `seen item ${id} recommended`);
  }
  const session = await client.getSessionRecommend(
    [{ FeedbackType: "like", UserId: "nobody", ItemId: "i1", Timestamp: timestamp }],
    { cursorOptions: { n: 5 } }
  );
  assertScores(session, 5);
  assert.ok(session.length > 0);
  assert.ok(!session.some((s) => s.Id === "i1"));

  const popular = await client.getPopular({ cursorOptions: { n: 10 } });
  assertScores(popular, 10);
  assert.equal(popular.length, 10);
  for (let k = 1; k < popular.length; k++) assert.ok(popular[k - 1].Score >= popular[k].Score);
  const latest = await client.getLatest({ cursorOptions: { n: 10 } });
  assertScores(latest, 10);
  assert.equal(latest.length, 10);

  const items = await client.getItemNeighbors({ itemId: "i1", cursorOptions: { n: 5 } });
  assertScores(items, 5);
  assert.ok(items.length > 0 && !items.some((s) => s.Id === "i1"));
  const users = await client.getUserNeighbors({ userId: "u3", cursorOptions: { n: 5 } });
  assertScores(users, 5);
  assert.ok(users.length > 0 && !users.some((s) => s.Id === "u3"));
});
