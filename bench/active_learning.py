"""Active learning for the rating queue (issue 18 item 2): does rating the pairs a reward model is least sure of
first teach it faster than rating them in random order?

    OMP_NUM_THREADS=1 python -m bench.active_learning [--out runs/bench/active_learning] [--seeds 3]
        [--budgets 25,50,100,200,400] [--batch 25] [--ensemble 3] [--strategies random,active,diverse]
        [--world-seed 0]    (--strategies: random and any of STRATEGIES below)
    OMP_NUM_THREADS=1 python -m bench.active_learning --run RUN_DIR [--backbone student_sft] [--pool world|answers] ...

Task world (n = 2000, seed 0): the pool is `preference/train.jsonl` (2,000 prompts, each with a correct answer and
its near miss), shown in a random order per pair; the held-out set is `preference/validation.jsonl` (500 pairs).
The rater is scripted: the task world's verifiers (`workbench.taskworld.verify`) decide which answer is right (a
pair where both or neither pass costs a rating and teaches nothing).

The reward model is deliberately cheap, and this is a stand-in for the real one: a Bradley-Terry model that is
linear in hashed sparse features of (prompt, response) (response words, word pairs, character 3-grams and word
shapes, and prompt word x response word / shape / copied-from-the-prompt crosses), trained with Adam on every rating
so far. Both strategies train and evaluate this same model (held-out pairwise accuracy); only the order in which
pairs are rated differs. Active learning also trains `--ensemble` - 1 more such models on bootstrap resamples of the
ratings, and reads the ensemble's (the model and the resampled ones) uncertainty:
  random  the next `--batch` pairs in a seeded random order;
  active  the first batch at random (a cold start), then, after each retraining, the unrated pairs with the
          highest `workbench.stages.pairs.priority` (the ensemble mean's closeness to a coin flip; until
          2026-12-05 plus the ensemble's disagreement; the score the `pairs` stage writes into `Pair.priority`),
          in batches of `--batch`
          growing to a quarter of the ratings so far (fewer retrainings), never past a budget;
  diverse as active, but each batch is picked greedily by priority x (1 - the largest cosine similarity to a pair
          already picked in the batch), over the features in which a pair's two answers differ: uncertain pairs,
          not a batch of near-copies of one uncertain pair;
  disagree  as active, but by the ensemble's disagreement alone (standard deviation of P; query by committee).
Three that try to account for learnability (pairs the model can never get right stay near a coin flip and attract
uncertainty sampling):
  learnable  the pool's prompts in k-means clusters (16, over hashed prompt words, numbers as one token); each
          retraining also fits 4 cross-validation models on the ratings, and a cluster's learnability is
          2 x (its rated pairs' out-of-fold accuracy - 0.5), floored at 0, with an optimistic prior (0.75, weight 2);
          a pair's score is its priority (over the model and the 4 fold models) x its cluster's learnability;
  density  information density (Settles & Craven 2008): priority x the pair's mean cosine similarity to the pool;
  eer      expected error reduction (Roy & McCallum 2001), one gradient step per hypothetical label: for each
          unrated pair and label, the reward model's margins on 400 sampled unrated pairs after one SGD step on it
          (linear model: the margins move by step x (label - P) x the dot product of the pairs' feature differences;
          step 2 / the median squared norm of a pair's difference), the pair with the lowest expected sum of
          min(P, 1 - P) first.
Two that look where uncertainty sampling does not (it never asks for pairs its models agree on, even wrongly):
  committee  query by a committee of different views (Seung et al. 1992; McCallum & Nigam 1998 for the
          disagreement): the reward model and one such model per view (`VIEWS`: response words and word pairs,
          character 3-grams, prompt x response crosses, the response's form alone), each trained on every rating;
          the pairs with the highest mean KL divergence of the members' P from their mean first;
  explore  epsilon-greedy (epsilon 0.5): each batch after the first half from the random order, half by priority.
One that estimates oracle-gradient's held-out gradient from the ratings alone:
  oof-gradient  4 cross-validation models on the ratings; g = the gradient of their out-of-fold loss (each rated
          pair's error times its feature difference); the unrated pairs with the highest p (1 - p) <x, g>^2 first
          (`out_of_fold_gradient`: a step on such a pair moves the model along the direction in which it
          generalises worst).
Two ceilings, not strategies (they read what no queue can know):
  oracle-skills  random order over the pairs of `LEARNABLE_SKILLS` only (what a perfect learnability filter
          would rate);
  oracle-gradient  the pairs whose gradient step with their true label best lowers the held-out loss (reads the
          held-out labels).
One more that needs no ensemble:
  margin  as active with one reward model (no bootstrap copies): `priority` is then the model's closeness to a
          coin flip alone, the order the shipped recipes get (their `pairs` stages read one reward stage).
Two that learn from the ratings so far which pairs end in a tie (`--run` only; they matter with `--pool answers`):
  decisive  P(the rater prefers one answer) from the `pairs` stage's tie model, a logistic model on each pair's
          absolute feature difference and its two answers' mean features (1 until a tie and a preference are seen);
  tie-aware  decisive x `priority` (margin's closeness to a coin flip): the order the `pairs` stage ships.
The pairs' skills (from the world's meta) are read only to report per-skill accuracy, and by oracle-skills.

`--run RUN_DIR` swaps the stand-in for one closer to the real reward model: the pool and held-out pairs are that
run's world (`world/data/preference/train.jsonl` and `validation.jsonl`), and the reward model is a linear
Bradley-Terry head on frozen features of the run's reward backbone (`--backbone`, default `student_sft`, the stage
the recipe's `reward` starts from): per answer, the final layer's state at the last token (what a reward stage's
score head reads) and the answer's mean and total log-probability and length under that model; each pair's
feature difference, standardised over the pool. The head is fitted with L-BFGS (L2 1e-2). The features are computed
once (seconds for the task world's students). `--pool answers` replaces the world's pairs (every one decisive) by
the queue a `pairs` stage builds: one sampled answer of each of `--pair-models` per prompt, identical answers
dropped, a tie (both right or both wrong) costing a rating and teaching nothing, as on the Rate page; the held-out
set stays the world's validation pairs. Strategies that read the hashed features (diverse, learnable,
density, eer, committee, oof-gradient) are not offered there.
Goal (issue 18): active reaches random's accuracy at 200 ratings with at most half as many (100).
Writes OUT/active_learning.json (every curve, every seed; per skill, each strategy's mean held-out accuracy and
number of rated pairs at each budget) and OUT/active_learning.png; prints the table. `--world-seed` generates another
task world (other entities and numbers): choose a strategy's settings on one world, report on another.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

DIM = 1 << 18


def _hash(text: str) -> int:
    return zlib.crc32(text.encode()) % DIM


def _shape(word: str) -> str:
    """A word's case and digit pattern: "Paris" -> "Xx", "pAGE" -> "xX", "3,000" -> "9,9"."""
    shape = ["X" if c.isupper() else "x" if c.islower() else "9" if c.isdigit() else c for c in word]
    return "".join(c for i, c in enumerate(shape) if i == 0 or c != shape[i - 1])


def features(prompt: str, response: str) -> list[int]:
    """Hashed sparse features of a response to a prompt: the response's words, word pairs, character 3-grams and
    word shapes, and prompt word x (response word, shape, whether the response word is copied from the prompt)."""
    words = response.split()
    asked = {w.strip("?.,!:;\"'").lower() for w in prompt.split()}
    out = {_hash("w:" + w) for w in words}
    out |= {_hash("b:" + a + " " + b) for a, b in zip(words, words[1:])}
    out |= {_hash("c:" + response[i:i + 3]) for i in range(max(len(response) - 2, 0))}
    out |= {_hash("s:" + _shape(w)) for w in words}
    for w in words:
        bare = w.strip("?.,!:;\"'").lower()
        shape, copied = _shape(w), bare in asked
        out |= {_hash(f"x:{a}|{bare}") for a in asked}
        out |= {_hash(f"xs:{a}|{shape}|{copied}") for a in asked}
    return sorted(out)


VIEWS = ["words", "chars", "cross", "format"]


def view_features(prompt: str, response: str) -> dict[str, list[int]]:
    """The committee's other views of a response, each a subset or summary of what `features` sees: its words and
    word pairs ("words"), its character 3-grams ("chars"), prompt word x response word / shape / copied ("cross"),
    and its form alone ("format": word shapes, length in words and characters, first and last character, whether it
    has digits, how many of its words are copied from the prompt)."""
    words = response.split()
    asked = {w.strip("?.,!:;\"'").lower() for w in prompt.split()}
    cross = set()
    for w in words:
        bare = w.strip("?.,!:;\"'").lower()
        cross |= {_hash(f"x:{a}|{bare}") for a in asked}
        cross |= {_hash(f"xs:{a}|{_shape(w)}|{bare in asked}") for a in asked}
    copied = sum(w.strip("?.,!:;\"'").lower() in asked for w in words)
    form = {_hash("s:" + _shape(w)) for w in words} | {
        _hash(f"len:{min(len(words), 30) // 3}"), _hash(f"chars:{min(len(response), 200) // 20}"),
        _hash(f"first:{response[:1]}"), _hash(f"last:{response[-1:]}"),
        _hash(f"digits:{any(c.isdigit() for c in response)}"), _hash(f"copied:{min(copied, 5)}")}
    pairs = {_hash("b:" + a + " " + b) for a, b in zip(words, words[1:])}
    return {"words": sorted({_hash("w:" + w) for w in words} | pairs),
            "chars": sorted({_hash("c:" + response[i:i + 3]) for i in range(max(len(response) - 2, 0))}),
            "cross": sorted(cross), "format": sorted(form)}


def load(world: Path, split: str, seed: int) -> list[dict]:
    """The split's pairs as (first, second) in a seeded random order, each with the scripted rater's verdict and
    the committee's views of both answers."""
    from workbench.data import read_records
    from workbench.taskworld.verify import verify

    rng = random.Random(seed)
    pairs = []
    for row in read_records(world / "preference" / f"{split}.jsonl"):
        prompt = "\n".join(m["content"] for m in row["prompt"])
        answers = [row["chosen"][-1]["content"], row["rejected"][-1]["content"]]
        if rng.random() < 0.5:
            answers.reverse()
        right = [verify(row["meta"], a) for a in answers]
        label = 1.0 if right == [True, False] else 0.0 if right == [False, True] else None
        views = [view_features(prompt, a) for a in answers]
        pairs.append({"first": features(prompt, answers[0]), "second": features(prompt, answers[1]), "label": label,
                      "prompt": prompt, "views": {v: (views[0][v], views[1][v]) for v in VIEWS},
                      "skill": row["meta"]["skill"]})  # the skill: for the per-skill report and the oracle only
    return pairs


def answer_features(model_dir: Path, rows: list[dict], batch: int = 64):
    """`--run`: per row, the features of its chosen and its rejected answer under the frozen model in `model_dir`:
    the final layer's state at the answer's last token, and the answer's mean and total log-probability (total / 10)
    and length in tokens (/ 10). Returns (chosen, rejected), each a rows x (hidden + 3) tensor."""
    import torch

    from workbench.models.loading import load_model
    from workbench.preference import completion_batches

    model, tokenizer = load_model(model_dir, dtype="float32")
    model.eval()

    @torch.no_grad()
    def embed(answers: list[str]):
        out, order = [], []
        prompts, completions = [r["prompt"] for r in rows], [[{"role": "assistant", "content": a}] for a in answers]
        for batch_rows, ids, mask, answer in completion_batches(tokenizer, prompts, completions, batch):
            order += batch_rows
            output = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            logps = torch.log_softmax(output.logits[:, :-1].float(), -1).gather(2, ids[:, 1:, None])[:, :, 0]
            predicting = answer[:, 1:].bool()  # position t predicts token t + 1
            total = (logps * predicting).sum(1)
            length = predicting.sum(1).clamp(min=1)
            last = mask.sum(1) - 1
            out.append(torch.cat([output.hidden_states[-1][torch.arange(len(ids)), last].float(),
                                  torch.stack([total / length, total / 10, length / 10.0], 1)], 1))
        return torch.cat(out)[torch.argsort(torch.tensor(order))]  # back in the rows' order

    return (embed([r["chosen"][-1]["content"] for r in rows]), embed([r["rejected"][-1]["content"] for r in rows]))


def load_run(rows: list[dict], chosen, rejected, seed: int, scale, tie_state_only: bool = False) -> list[dict]:
    """`--run`: the pairs of `rows` as (first, second) in a seeded random order (as `load`), each with the scripted
    rater's verdict (None for a tie: both answers right or both wrong), the dense difference of its answers'
    features divided by `scale` (per feature), and its two answers' features as the tie model reads them
    (`tie_state_only`: the hidden state alone, without the likelihood features, as the `pairs` stage's tie model reads
    a reward model's state)."""
    import torch

    from workbench.taskworld.verify import verify

    rng = random.Random(seed)
    kept = slice(0, -3) if tie_state_only else slice(None)
    differences, pairs = [], []
    for row, a, b in zip(rows, chosen, rejected):
        answers = [row["chosen"][-1]["content"], row["rejected"][-1]["content"]]
        difference = a - b
        if rng.random() < 0.5:
            answers.reverse()
            difference = -difference
        right = [verify(row["meta"], answer) for answer in answers]
        label = 1.0 if right == [True, False] else 0.0 if right == [False, True] else None
        differences.append(difference)
        pairs.append({"label": label, "prompt": "\n".join(m["content"] for m in row["prompt"]),
                      "skill": row["meta"]["skill"]})
    for pair, difference, a, b in zip(pairs, torch.stack(differences) / scale, chosen, rejected):
        pair["difference"], pair["answers"] = difference, (a[kept], b[kept])
    return pairs


def answer_pool(run: Path, rows: list[dict], models: list[str]) -> list[dict]:
    """`--pool answers`: the queue a `pairs` stage builds from `models` (two stages of the run) on the prompts of
    `rows`: one answer of each, sampled as the stage samples (temperature 0.7, 32 new tokens, the i-th model with
    seed 7919 i; control tokens stripped), a pair dropped where an answer is empty or both say the same. The rows
    come back with the two answers as their "chosen" and "rejected" (which is right is for the rater to say)."""
    from workbench.generation import GenerationSettings, generate_responses
    from workbench.models.loading import load_model
    from workbench.stages.pairs import CONTROL_TOKENS, _same, clean

    answers = []
    for index, stage in enumerate(models):
        model, tokenizer = load_model(run / stage / "model", dtype="float32")
        model.eval()
        texts = generate_responses(model, tokenizer, [r["prompt"] for r in rows],
                                   GenerationSettings(temperature=0.7, max_new_tokens=32), seed=7919 * index)
        answers.append([clean(t, list(CONTROL_TOKENS)) for t in texts])
    return [{**row, "chosen": [{"role": "assistant", "content": a}], "rejected": [{"role": "assistant", "content": b}]}
            for row, a, b in zip(rows, *answers) if a and b and not _same(a, b)]


def decisive_probability(pool: list[dict], rated: list[int], unrated: list[int]):
    """Per unrated pair, P(the rater prefers one answer) rather than a tie: the `pairs` stage's own tie model
    (`workbench.stages.pairs.decisive_probability`) on the pairs' `answers`, fitted to the rated pairs' outcomes; 1
    for every pair until both outcomes have been seen."""
    import torch

    from workbench.stages.pairs import decisive_probability as shipped

    p = shipped([pool[i]["answers"] for i in unrated], [pool[i]["answers"] for i in rated],
                [pool[i]["label"] is not None for i in rated])
    return torch.ones(len(unrated)) if p is None else torch.tensor(p)


def _bags(pairs: list[dict], which: str, index=None):
    import torch

    flat = [i for p in pairs for i in p[which]]
    offsets = [0]
    for p in pairs[:-1]:
        offsets.append(offsets[-1] + len(p[which]))
    flat = torch.tensor(flat, dtype=torch.long)
    return (index[flat] if index is not None else flat), torch.tensor(offsets, dtype=torch.long)


class Scorer:
    """Score differences s(first) - s(second) of a fixed list of pairs, for a weight vector over features: hashed
    sparse features, or (pairs with a dense "difference", `--run`) a matrix product."""

    def __init__(self, pairs: list[dict], index=None):
        import torch

        self.dense = torch.stack([p["difference"] for p in pairs]) if pairs and "difference" in pairs[0] else None
        if self.dense is None:
            self.first, self.second = _bags(pairs, "first", index), _bags(pairs, "second", index)

    def margins(self, weight):
        from torch.nn.functional import embedding_bag

        if self.dense is not None:
            return (self.dense @ weight).squeeze(1)
        return (embedding_bag(self.first[0], weight, self.first[1], mode="sum").squeeze(1)
                - embedding_bag(self.second[0], weight, self.second[1], mode="sum").squeeze(1))


def train_dense(pairs: list[dict], l2: float = 1e-2):
    """The `--run` reward head: a linear Bradley-Terry model on the pairs' dense feature differences, fitted with
    L-BFGS (deterministic: it starts from zero)."""
    import torch

    x = torch.stack([p["difference"] for p in pairs])
    target = torch.tensor([p["label"] for p in pairs])
    weight = torch.zeros(x.shape[1], 1, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight], lr=1, max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits((x @ weight).squeeze(1), target)
        (loss + l2 * weight.pow(2).sum()).backward()
        return loss

    optimizer.step(closure)
    return weight.detach()


def train(pairs: list[dict], seed: int, steps: int = 150, l2: float = 1e-3):
    """A linear Bradley-Terry model fitted to labelled `pairs` with Adam; returns its weight over all DIM features.
    It trains on the features the pairs have (the others get no gradient and stay 0), so a step costs little."""
    import torch

    if "difference" in pairs[0]:
        return train_dense(pairs)
    torch.manual_seed(seed)
    used = torch.tensor(sorted({i for p in pairs for i in p["first"] + p["second"]}), dtype=torch.long)
    index = torch.zeros(DIM, dtype=torch.long)
    index[used] = torch.arange(len(used))
    scorer = Scorer(pairs, index)
    target = torch.tensor([p["label"] for p in pairs])
    weight = torch.zeros(len(used), 1, requires_grad=True)
    optimizer = torch.optim.Adam([weight], lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(scorer.margins(weight), target)
        (loss + l2 * weight.pow(2).sum()).backward()
        optimizer.step()
    full = torch.zeros(DIM, 1)
    full[used] = weight.detach()
    return full


def ensemble(rated: list[dict], size: int, seed: int) -> list:
    """The reward model (trained on every rated pair with a verdict) first, then `size - 1` models on bootstrap
    resamples of them: the ensemble whose disagreement the active strategy reads."""
    import torch

    usable = [p for p in rated if p["label"] is not None]
    if not usable:  # every rating a tie so far (`--pool answers`): the model knows nothing, P = 0.5 everywhere
        return [torch.zeros(len(rated[0]["difference"]) if "difference" in rated[0] else DIM, 1)] * size
    rng = random.Random(seed)
    return [train(usable, seed)] + [train([rng.choice(usable) for _ in usable], seed * 100 + k) for k in range(1, size)]


def probabilities(models: list, scorer: Scorer) -> list[list[float]]:
    """Per pair, each model's P(first > second)."""
    import torch

    with torch.no_grad():
        per_model = [torch.sigmoid(scorer.margins(weight)).tolist() for weight in models]
    return [list(ps) for ps in zip(*per_model)]


def accuracy(weight, scorer: Scorer, labels: list, skills: list | None = None) -> float | dict:
    """Held-out pairwise accuracy of one model (pairs without a verdict left out); with `skills`, a dict of it per
    skill and over all ("all")."""
    probs = [ps[0] for ps in probabilities([weight], scorer)]
    hits = {}
    for p, label, skill in zip(probs, labels, skills or ["all"] * len(labels)):
        if label is not None:
            hits.setdefault(skill, []).append((p > 0.5) == (label == 1.0))
    if skills is None:
        return sum(hits["all"]) / len(hits["all"])
    return {"all": sum(sum(h) for h in hits.values()) / sum(len(h) for h in hits.values()),
            **{skill: sum(h) / len(h) for skill, h in sorted(hits.items())}}


def spread(probabilities: list[float]) -> float:
    """The ensemble's disagreement alone: the standard deviation of its P(first > second) (query by committee)."""
    return statistics.pstdev(probabilities)


def similarity(pool: list[dict]):
    """Cosine similarity between every two pairs of the pool, over the features in which a pair's two answers
    differ (the only features a rating of it moves in a Bradley-Terry model); a dense n x n tensor."""
    import torch

    if "difference" in pool[0]:  # --run: cosine similarity of the dense feature differences (sign-free)
        x = torch.nn.functional.normalize(torch.stack([p["difference"] for p in pool]), dim=1)
        return (x @ x.t()).abs()
    rows, cols = [], []
    for i, p in enumerate(pool):
        changed = sorted(set(p["first"]) ^ set(p["second"]))
        rows += [i] * len(changed)
        cols += changed
    x = torch.sparse_coo_tensor(torch.tensor([rows, cols]), torch.ones(len(rows)), (len(pool), DIM),
                                check_invariants=False).coalesce()
    norms = torch.sparse.sum(x, 1).to_dense().clamp(min=1).sqrt()
    return torch.sparse.mm(x, x.t()).to_dense() / norms[:, None] / norms[None, :]


def diverse(scores: list[float], candidates: list[int], sims, step: int) -> list[int]:
    """`step` positions of `candidates` picked greedily by score x (1 - the largest similarity to a pair picked
    before in this batch): uncertain pairs, but not `step` near-copies of one uncertain pair."""
    import torch

    score = torch.tensor(scores)
    index = torch.tensor(candidates)
    nearest = torch.zeros(len(candidates))
    picked = []
    for _ in range(min(step, len(candidates))):
        gain = score * (1 - nearest)
        if picked:
            gain[torch.tensor(picked)] = -1.0
        j = int(gain.argmax())
        picked.append(j)
        nearest = torch.maximum(nearest, sims[index, index[j]])
    return picked


def prompt_clusters(pool: list[dict], k: int = 16, seed: int = 0, dim: int = 4096, iterations: int = 30) -> list[int]:
    """Each pair's cluster among `k`: spherical k-means (k-means++ start) over the prompt's words (hashed into `dim`,
    lower case, numbers as one token "9"), so "What is 48 - 10?" and "What is 3 - 2?" fall together."""
    import torch

    x = torch.zeros(len(pool), dim)
    for i, pair in enumerate(pool):
        words = {re.sub(r"\d+", "9", w.strip("?.,!:;\"'").lower()) for w in pair["prompt"].split()}
        x[i, sorted({_hash("p:" + w) % dim for w in words if w})] = 1.0
    x = torch.nn.functional.normalize(x, dim=1)
    generator = torch.Generator().manual_seed(seed)
    centres = [int(torch.randint(len(x), (1,), generator=generator))]
    distance = 1 - x @ x[centres[0]]
    for _ in range(1, k):
        weight = distance.clamp(min=0) ** 2
        centres.append(int(torch.multinomial(weight / weight.sum(), 1, generator=generator)) if weight.sum() > 0
                       else int(torch.randint(len(x), (1,), generator=generator)))
        distance = torch.minimum(distance, 1 - x @ x[centres[-1]])
    centre = x[centres].clone()
    for _ in range(iterations):
        assign = (x @ centre.t()).argmax(1)
        for j in range(k):
            if (assign == j).any():
                centre[j] = torch.nn.functional.normalize(x[assign == j].mean(0), dim=0)
    return (x @ centre.t()).argmax(1).tolist()


def learnability(clusters: list[int], correct: dict[int, bool], k: int, prior: float = 0.75,
                 strength: float = 2.0) -> list[float]:
    """Per cluster, 2 x (out-of-fold accuracy of its rated pairs - 0.5), floored at 0: 0 where the reward model
    does no better than a coin flip on pairs it was not trained on, 1 where it gets them all right. `correct` maps a
    rated pair's index to whether a model trained without it got it right; `prior` (weight `strength` pairs) keeps
    a cluster with few ratings worth trying."""
    hits, seen = Counter(), Counter()
    for i, ok in correct.items():
        seen[clusters[i]] += 1
        hits[clusters[i]] += ok
    return [max((hits[c] + prior * strength) / (seen[c] + strength) - 0.5, 0.0) * 2 for c in range(k)]


def out_of_fold(pool: list[dict], rated: list[int], folds: int, seed: int) -> tuple[list, dict[int, bool]]:
    """`folds` models, each trained on the rated pairs with a verdict outside its fold, and for each such pair
    whether the model that did not see it ranks it right."""
    usable = [i for i in rated if pool[i]["label"] is not None]
    random.Random(seed).shuffle(usable)
    models, correct = [], {}
    for f in range(folds):
        models.append(train([pool[i] for n, i in enumerate(usable) if n % folds != f], seed * 100 + 50 + f))
        held = [i for n, i in enumerate(usable) if n % folds == f]
        if held:
            for i, ps in zip(held, probabilities([models[-1]], Scorer([pool[i] for i in held]))):
                correct[i] = (ps[0] > 0.5) == (pool[i]["label"] == 1.0)
    return models, correct


def differences(pool: list[dict]):
    """The Gram matrix of the pairs' signed feature differences (first - second): entry (i, j) is how much one
    gradient step on pair i moves pair j's margin, per unit of step and error, in a linear Bradley-Terry model."""
    import torch

    rows, cols, values = [], [], []
    for i, pair in enumerate(pool):
        first, second = set(pair["first"]), set(pair["second"])
        for feature, sign in [(f, 1.0) for f in first - second] + [(f, -1.0) for f in second - first]:
            rows.append(i)
            cols.append(feature)
            values.append(sign)
    x = torch.sparse_coo_tensor(torch.tensor([rows, cols]), torch.tensor(values), (len(pool), DIM),
                                check_invariants=False).coalesce()
    return torch.sparse.mm(x, x.t()).to_dense()


def expected_error(margins, gram, candidates: list[int], sample: list[int], step: float):
    """Per candidate, the expected (over its label, at the model's own P) sum over `sample` of min(P, 1 - P) after
    one gradient step of size `step` on the candidate with that label (Roy & McCallum 2001, one step for a retrain)."""
    import torch

    p = torch.sigmoid(margins[candidates])[:, None]
    moved = gram[candidates][:, sample]
    base = margins[sample][None, :]

    def error(label: float):
        q = torch.sigmoid(base + step * (label - p) * moved)
        return torch.minimum(q, 1 - q).sum(1)

    return (p[:, 0] * error(1.0) + (1 - p[:, 0]) * error(0.0)).tolist()


def committee(pool: list[dict], rated: list[int], candidates: list[int], seed: int) -> list[list[float]]:
    """Per candidate, P(first > second) from each member of a committee of different views: the reward model (all
    features) and one model per view in `VIEWS`, each trained on every rated pair with a verdict."""
    usable = [pool[i] for i in rated if pool[i]["label"] is not None]
    chosen = [pool[i] for i in candidates]

    def seen_as(pairs: list[dict], view: str) -> list[dict]:
        return pairs if view == "all" else [{"first": p["views"][view][0], "second": p["views"][view][1],
                                             "label": p["label"]} for p in pairs]

    members = [probabilities([train(seen_as(usable, view), seed * 100 + 80 + k)], Scorer(seen_as(chosen, view)))
               for k, view in enumerate(["all", *VIEWS])]
    return [[member[j][0] for member in members] for j in range(len(candidates))]


def kl_to_consensus(probabilities: list[float]) -> float:
    """The committee's disagreement on a pair: the members' mean Kullback-Leibler divergence from their mean
    P(first > second) (McCallum & Nigam 1998)."""
    mean = min(max(sum(probabilities) / len(probabilities), 1e-6), 1 - 1e-6)
    total = 0.0
    for p in probabilities:
        p = min(max(p, 1e-6), 1 - 1e-6)
        total += p * math.log(p / mean) + (1 - p) * math.log((1 - p) / (1 - mean))
    return total / len(probabilities)


def gradient_alignment(pool: list[dict], weight, candidates: list[int], held_out: tuple) -> list[float]:
    """ORACLE (reads the held-out labels and the candidates' verdicts): per candidate, how far one gradient step on
    it, with its true label, lowers the held-out loss (its step (label - P) x difference, dotted with minus the
    held-out loss gradient). A ceiling for an order, not a strategy."""
    import torch

    scorer, labels = held_out[0], held_out[1]
    known = torch.tensor([label is not None for label in labels])
    target = torch.tensor([label if label is not None else 0.0 for label in labels])
    weight = weight.clone().requires_grad_(True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(scorer.margins(weight)[known], target[known],
                                                                reduction="sum")
    (gradient,) = torch.autograd.grad(loss, weight)
    labelled = [i for i in candidates if pool[i]["label"] is not None]
    pairs = Scorer([pool[i] for i in labelled])
    with torch.no_grad():
        error = torch.tensor([pool[i]["label"] for i in labelled]) - torch.sigmoid(pairs.margins(weight))
        gain = dict(zip(labelled, (error * pairs.margins(-gradient)).tolist()))
    return [gain.get(i, float("-inf")) for i in candidates]


def out_of_fold_gradient(pool: list[dict], rated: list[int], unrated: list[int], weight, folds: int,
                         seed: int) -> list[float]:
    """Per unrated pair, p (1 - p) x <x, g>^2: g is the gradient of the out-of-fold loss on the rated pairs (each
    rated pair's (P - label) x its feature difference, P from the model trained on the other folds), a stand-in
    for oracle-gradient's held-out gradient that reads only the ratings. To first order, one step along -g moves the
    pair's margin by -<x, g>; taking that moved P as the pair's expected label, a step on the pair lowers the
    out-of-fold loss by about p (1 - p) <x, g>^2 (p from the current model)."""
    import torch

    usable = [i for i in rated if pool[i]["label"] is not None]
    random.Random(seed).shuffle(usable)
    gradient = torch.zeros(DIM, 1)
    for f in range(folds):
        held = [i for n, i in enumerate(usable) if n % folds == f]
        if not held:
            continue
        model = train([pool[i] for n, i in enumerate(usable) if n % folds != f], seed * 100 + 50 + f)
        with torch.no_grad():
            p = torch.sigmoid(Scorer([pool[i] for i in held]).margins(model))
        for i, error in zip(held, (p - torch.tensor([pool[i]["label"] for i in held])).tolist()):
            gradient.index_add_(0, torch.tensor(pool[i]["first"]), torch.full((len(pool[i]["first"]), 1), error))
            gradient.index_add_(0, torch.tensor(pool[i]["second"]), torch.full((len(pool[i]["second"]), 1), -error))
    scorer = Scorer([pool[i] for i in unrated])
    with torch.no_grad():
        p = torch.sigmoid(scorer.margins(weight))
        return (p * (1 - p) * scorer.margins(gradient).pow(2)).tolist()


def curve(pool: list[dict], held_out: tuple, strategy: str, budgets: list[int], batch: int, size: int,
          seed: int, sims=None, extra: dict | None = None) -> dict:
    """Held-out accuracy after each budget of ratings, rating in `strategy` order. `extra` (the pool's clusters for
    learnable, its difference Gram matrix for eer, each pair's mean similarity to the pool for density) is built
    once per pool. `held_out` is (scorer, labels, skills);
    the result maps each budget to accuracy per skill ("all": over every held-out pair) and the rated pairs'
    skills (key "rated")."""
    import torch

    from workbench.stages.pairs import priority

    rng = random.Random(seed)
    order = list(range(len(pool)))
    rng.shuffle(order)
    rated, unrated = order[:batch], order[batch:]
    out = {}
    while True:
        models = ensemble([pool[i] for i in rated], 1 if strategy in SINGLE_MODEL else size, seed)
        if len(rated) in budgets:
            rated_skills = dict(Counter(pool[i]["skill"] for i in rated))
            out[len(rated)] = {**accuracy(models[0], *held_out), "rated": rated_skills}
        if len(rated) >= max(budgets):
            return out
        step = min(b for b in budgets if b > len(rated)) - len(rated)  # random: straight to the next budget
        if strategy == "random":
            chosen = unrated[:step]
        elif strategy == "oracle-skills":
            chosen = [i for i in unrated if pool[i]["skill"] in LEARNABLE_SKILLS][:step]
        else:  # batches of `batch`, growing to a quarter of what is rated (fewer retrainings), never past a budget
            step = min(step, max(batch, len(rated) // 4))
            pool_scorer = Scorer([pool[i] for i in unrated])
            if strategy == "learnable":
                clusters = extra["clusters"]
                fold_models, correct = out_of_fold(pool, rated, 4, seed * 1000 + len(rated))
                learnable = learnability(clusters, correct, max(clusters) + 1)
                scores = [priority(ps) * learnable[clusters[i]] + rng.random() * 1e-9
                          for i, ps in zip(unrated, probabilities([models[0], *fold_models], pool_scorer))]
            elif strategy == "density":
                density = extra["density"]
                scores = [priority(ps) * density[i] + rng.random() * 1e-9
                          for i, ps in zip(unrated, probabilities(models, pool_scorer))]
            elif strategy == "eer":
                gram = extra["gram"]
                with torch.no_grad():
                    margins = Scorer(pool).margins(models[0])
                sample = random.Random(seed * 1000 + len(rated)).sample(unrated, min(400, len(unrated)))
                step_size = 2.0 / float(gram.diagonal().median())
                scores = [-e + rng.random() * 1e-9 for e in expected_error(margins, gram, unrated, sample, step_size)]
            elif strategy == "committee":
                scores = [kl_to_consensus(ps) + rng.random() * 1e-9 for ps in committee(pool, rated, unrated, seed)]
            elif strategy == "oof-gradient":
                scores = [g + rng.random() * 1e-9 for g in
                          out_of_fold_gradient(pool, rated, unrated, models[0], 4, seed * 1000 + len(rated))]
            elif strategy == "oracle-gradient":
                scores = [g + rng.random() * 1e-9 for g in gradient_alignment(pool, models[0], unrated, held_out)]
            elif strategy in ("tie-aware", "decisive"):
                decisive = decisive_probability(pool, rated, unrated).tolist()
                if strategy == "tie-aware":
                    decisive = [d * priority(ps) for d, ps in zip(decisive, probabilities(models, pool_scorer))]
                scores = [d + rng.random() * 1e-9 for d in decisive]
            else:
                score = spread if strategy == "disagree" else priority
                scores = [score(ps) + rng.random() * 1e-9 for ps in probabilities(models, pool_scorer)]
            if strategy == "explore":  # epsilon-greedy: the batch's first half from the random order, then priority
                explored = unrated[:step // 2]
                taken = set(explored)
                scores = [-1.0 if i in taken else score for i, score in zip(unrated, scores)]
            if strategy == "diverse":
                chosen = [unrated[j] for j in diverse(scores, unrated, sims, step)]
            elif strategy == "explore":
                chosen = explored + [unrated[j] for j in sorted(range(len(unrated)),
                                                                key=lambda j: -scores[j])[:step - len(explored)]]
            else:
                chosen = [unrated[j] for j in sorted(range(len(unrated)), key=lambda j: -scores[j])[:step]]
        taken = set(chosen)
        rated += chosen
        unrated = [i for i in unrated if i not in taken]


def summary(curves: dict, budgets: list[int]) -> dict:
    """Mean and standard deviation per strategy and budget; and the goal, per strategy other than random: the
    fewest ratings at which its mean reaches random's mean at 200 (linearly interpolated between budgets)."""
    table = {s: {n: (statistics.mean(c[n] for c in runs), statistics.pstdev([c[n] for c in runs]))
                 for n in budgets} for s, runs in curves.items()}
    out = {"table": {s: {str(n): {"mean": round(m, 4), "sd": round(sd, 4)} for n, (m, sd) in rows.items()}
                     for s, rows in table.items()}}
    if 200 in budgets:
        target = table["random"][200][0]
        out["random_at_200"] = round(target, 4)
        out["ratings_to_reach_it"], out["goal_met"] = {}, {}
        for strategy in table:
            if strategy == "random":
                continue
            needed, previous = None, None
            for n in budgets:
                mean = table[strategy][n][0]
                if mean >= target:
                    if previous is None:
                        needed = n
                    else:
                        (n0, m0) = previous
                        needed = n0 + (n - n0) * (target - m0) / (mean - m0) if mean > m0 else n
                    break
                previous = (n, mean)
            out["ratings_to_reach_it"][strategy] = round(needed, 1) if needed is not None else None
            out["goal_met"][strategy] = needed is not None and needed <= 100
    return out


def plot(curves: dict, budgets: list[int], path: Path, reward_model: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for strategy, runs in curves.items():
        means = [statistics.mean(c[n] for c in runs) for n in budgets]
        sds = [statistics.pstdev([c[n] for c in runs]) for n in budgets]
        ax.errorbar(budgets, means, yerr=sds, marker="o", capsize=3, label=f"{strategy} ({len(runs)} seeds)")
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(budgets, [str(n) for n in budgets])
    ax.set_xlabel("ratings")
    ax.set_ylabel("held-out pair accuracy")
    ax.set_title(f"Reward model ({reward_model}) on the task world", fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


STRATEGIES = ["random", "active", "diverse", "disagree", "learnable", "density", "eer", "committee", "explore",
              "oof-gradient", "margin", "tie-aware", "decisive", "oracle-skills", "oracle-gradient"]
HASHED_ONLY = {"learnable", "eer", "committee", "oof-gradient",  # read the hashed features
               "oracle-skills"}  # its skill list is world seed 0's (the default world), not a run's
RUN_ONLY = {"tie-aware", "decisive"}  # read the dense features' tie model
SINGLE_MODEL = {"random", "margin", "tie-aware", "decisive", "committee", "oof-gradient", "oracle-skills", "oracle-gradient"}  # no bootstrap ensemble needed
# The skills on which random order with every pool pair rated beats 0.6 held-out accuracy on world seed 0
# (docs/active_learning/random_to_2000.json); read by oracle-skills alone.
LEARNABLE_SKILLS = {"string", "format", "multiturn", "benign", "unsafe", "identity"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.active_learning", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/bench/active_learning")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budgets", default="25,50,100,200,400")
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--ensemble", type=int, default=3)
    parser.add_argument("--n", type=int, default=2000, help="task-world scale (pool = n pairs)")
    parser.add_argument("--world-seed", type=int, default=0, help="the task world's seed")
    parser.add_argument("--strategies", default="random,active,diverse",
                        help="random and any of " + ", ".join(STRATEGIES[1:]) + " (random is always run: the baseline)")
    parser.add_argument("--run", help="a task-world run directory: its world's pairs, and a reward head on frozen "
                                      "features of its --backbone (instead of hashed features of a generated world)")
    parser.add_argument("--backbone", default="student_sft", help="with --run: the stage whose model gives the features")
    parser.add_argument("--pool", choices=["world", "answers"], default="world",
                        help="with --run: the world's preference pairs (a correct answer against its near miss), or "
                             "the queue a pairs stage builds from --pair-models' sampled answers (ties included)")
    parser.add_argument("--tie-features", choices=["all", "state"], default="all",
                        help="tie-aware, decisive: the tie model reads every feature, or the hidden state alone")
    parser.add_argument("--pair-models", default="student_sft,warp",
                        help="with --pool answers: the two stages that answer (the quickstart's queue: student_sft,warp)")
    args = parser.parse_args(argv)
    strategies = ["random"] + [s for s in dict.fromkeys(args.strategies.split(",")) if s != "random"]
    if not set(strategies) <= set(STRATEGIES):
        parser.error(f"--strategies {args.strategies}: give any of " + ", ".join(STRATEGIES))
    if not args.run and set(strategies) & RUN_ONLY:
        parser.error(f"{', '.join(sorted(set(strategies) & RUN_ONLY))}: give --run (they read a run's dense features)")
    if args.pool == "answers" and not args.run:
        parser.error("--pool answers: give --run (the queue is sampled from the run's models)")
    if args.run and set(strategies) & HASHED_ONLY:
        parser.error(f"--run: {', '.join(sorted(set(strategies) & HASHED_ONLY))} read the hashed features; give any of "
                     + ", ".join(s for s in STRATEGIES if s not in HASHED_ONLY))
    try:
        budgets = sorted({int(b) for b in args.budgets.split(",")})
    except ValueError:
        parser.error(f"--budgets {args.budgets}: give comma-separated whole numbers")
    if args.seeds < 1 or args.batch < 1 or args.ensemble < 1 or budgets[0] < args.batch \
            or any(b % args.batch for b in budgets):
        parser.error("--seeds, --batch and --ensemble must be >= 1, and every budget a multiple of --batch")
    import torch

    from workbench.data import read_records
    from workbench.taskworld import generate

    torch.set_num_threads(1)
    started = time.perf_counter()
    if args.run:
        world, model_dir = Path(args.run) / "world" / "data", Path(args.run) / args.backbone / "model"
        needed = [args.backbone] + (args.pair_models.split(",") if args.pool == "answers" else [])
        if not (world / "preference" / "train.jsonl").is_file() \
                or not all((Path(args.run) / stage / "model" / "config.json").is_file() for stage in needed):
            parser.error(f"--run {args.run}: needs world/data/preference/*.jsonl and a model in each of "
                         + ", ".join(needed))
        split_rows = {split: list(read_records(world / "preference" / f"{split}.jsonl"))
                      for split in ("train", "validation")}
        if args.pool == "answers":
            split_rows["train"] = answer_pool(Path(args.run), split_rows["train"], args.pair_models.split(","))
        embedded = {split: answer_features(model_dir, rows) for split, rows in split_rows.items()}
        # one scale for pool and held-out: the pool's root mean square difference per feature (the same whichever
        # answer is shown first)
        scale = (embedded["train"][0] - embedded["train"][1]).pow(2).mean(0).sqrt().clamp(min=1e-6)
        pools = {seed: load_run(split_rows["train"], *embedded["train"], seed, scale, args.tie_features == "state")
                 for seed in range(args.seeds)}
        held = load_run(split_rows["validation"], *embedded["validation"], 0, scale)
        print(f"features of {args.backbone}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp) / "world", n=args.n, seed=args.world_seed, corpus_docs=1)
            held = load(Path(tmp) / "world", "validation", seed=0)
            pools = {seed: load(Path(tmp) / "world", "train", seed=seed) for seed in range(args.seeds)}
    if max(budgets) > len(pools[0]):
        parser.error(f"--budgets: at most {len(pools[0])} ratings (the pool)")
    held_out = (Scorer(held), [p["label"] for p in held], [p["skill"] for p in held])
    detailed = {strategy: [] for strategy in strategies}
    for seed in range(args.seeds):
        pool = pools[seed]
        sims = similarity(pool) if {"diverse", "density"} & set(strategies) else None
        extra = {"clusters": prompt_clusters(pool) if "learnable" in strategies else None,
                 "gram": differences(pool) if "eer" in strategies else None,
                 "density": sims.mean(1).tolist() if "density" in strategies else None}
        for strategy in detailed:
            detailed[strategy].append(curve(pool, held_out, strategy, budgets, args.batch, args.ensemble, seed, sims,
                                            extra))
            print(f"seed {seed} {strategy}: " + ", ".join(f"{n}: {a['all']:.3f}"
                                                         for n, a in detailed[strategy][-1].items()),
                  file=sys.stderr, flush=True)
    curves = {s: [{n: a["all"] for n, a in c.items()} for c in runs] for s, runs in detailed.items()}
    result = summary(curves, budgets)
    skills = sorted({p["skill"] for p in held})
    result.update(seeds=args.seeds, batch=args.batch, ensemble=args.ensemble, pool=len(pools[0]), held_out=len(held),
                  pool_kind=f"answers of {args.pair_models}" if args.pool == "answers" else "world pairs",
                  pool_decisive=sum(p["label"] is not None for p in pools[0]), tie_features=args.tie_features,
                  world_seed=None if args.run else args.world_seed,
                  reward_model=f"linear head on frozen {args.backbone} features" if args.run else "linear, hashed features",
                  seconds=round(time.perf_counter() - started, 1),
                  curves={s: [{str(n): round(a, 4) for n, a in c.items()} for c in runs] for s, runs in curves.items()},
                  per_skill={s: {str(n): {k: {"accuracy": round(statistics.mean(c[n][k] for c in runs), 4),
                                              "rated": round(statistics.mean(c[n]["rated"].get(k, 0) for c in runs), 1)}
                                          for k in skills}
                                 for n in budgets} for s, runs in detailed.items()},
                  held_out_per_skill=dict(Counter(p["skill"] for p in held if p["label"] is not None)))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "active_learning.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(curves, budgets, out / "active_learning.png", result["reward_model"])
    names = list(curves)
    print("| ratings | " + " | ".join(f"{name} (mean ± sd, {args.seeds} seeds)" for name in names) + " |")
    print("|---|" + "---|" * len(names))
    for n in budgets:
        cells = [result["table"][name][str(n)] for name in names]
        print(f"| {n} | " + " | ".join(f"{c['mean']:.3f} ± {c['sd']:.3f}" for c in cells) + " |")
    if "goal_met" in result:
        for name, needed in result["ratings_to_reach_it"].items():
            print(f"random at 200 ratings: {result['random_at_200']:.3f}; {name} reaches it at {needed} ratings; "
                  f"goal (<= 100): {'met' if result['goal_met'][name] else 'not met'}")
    print(f"{out / 'active_learning.json'}, {out / 'active_learning.png'} ({result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
