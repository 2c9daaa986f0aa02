#!/usr/bin/env python3
"""Picks the quickstart's example: a user with a short history and an item from a category that
user has never touched, so that liking the item visibly changes the user's top 5.

Usage: quickstart_example.py SOURCE_DIR   (the output of `reco demo-data`)
Prints one line: USER_ID ITEM_ID HISTORY_LENGTH CATEGORY
"""
import collections
import json
import pathlib
import sys


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def main():
    src = pathlib.Path(sys.argv[1])
    item_categories = {it["ItemId"]: it.get("Categories") or [] for it in read_jsonl(src / "items.jsonl")}
    history = collections.defaultdict(set)
    item_count = collections.Counter()
    for fb in read_jsonl(src / "feedback.jsonl"):
        history[fb["UserId"]].add(fb["ItemId"])
        item_count[fb["ItemId"]] += 1
    # The shortest history of at least 3 items: one like then outweighs what the user did before.
    user = min((u for u, items in history.items() if len(items) >= 3),
               key=lambda u: (len(history[u]), u))
    touched = {c for i in history[user] for c in item_categories.get(i, [])}
    # Not one of the 100 most popular items, which a short history may already be shown; still
    # liked often enough to have neighbours.
    top = {i for i, _ in item_count.most_common(100)}
    candidates = [(n, i) for i, n in item_count.items()
                  if i not in history[user] and i not in top and item_categories.get(i)
                  and not touched.intersection(item_categories[i])]
    _, item = max(candidates)
    print(user, item, len(history[user]), item_categories[item][0])


if __name__ == "__main__":
    main()
