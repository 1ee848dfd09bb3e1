"""A seeded synthetic corpus with the shape of the real one, for tests and demos.

Each genre owns a handful of indicative words; a synopsis mixes the words of its genres
with common filler words, so a classifier has real (planted) signal to find. Genre
frequencies are imbalanced (a few common genres, a long tail), some genres tend to occur
together, types include ONA and Music that the type filter should remove, and a few rows
carry MyAnimeList's placeholder text instead of a synopsis.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

GENRE_WORDS = {
    "Action": ["battle", "fight", "explosion", "rival", "strike", "weapon", "chase", "duel"],
    "Comedy": ["prank", "silly", "joke", "awkward", "laugh", "blunder", "gag", "goofy"],
    "Drama": ["grief", "family", "secret", "tears", "regret", "promise", "loss", "reunion"],
    "Romance": ["love", "confession", "date", "crush", "kiss", "heart", "wedding", "couple"],
    "Fantasy": ["magic", "dragon", "kingdom", "spell", "elf", "wizard", "quest", "sword"],
    "Sci-Fi": ["robot", "spaceship", "future", "android", "laser", "colony", "planet", "signal"],
    "Slice of Life": ["daily", "cafe", "neighbour", "season", "picnic", "chores", "quiet", "town"],
    "School": ["classroom", "student", "teacher", "exam", "club", "festival", "uniform", "homeroom"],
    "Mystery": ["detective", "clue", "murder", "suspect", "alibi", "riddle", "case", "witness"],
    "Sports": ["team", "tournament", "coach", "match", "goal", "training", "stadium", "score"],
    "Supernatural": ["ghost", "spirit", "curse", "shrine", "demon", "exorcist", "haunted", "omen"],
    "Music": ["band", "song", "concert", "guitar", "stage", "melody", "choir", "idol"],
}

FILLER = ["the", "a", "and", "of", "to", "in", "his", "her", "with", "who", "is", "for", "on",
          "their", "when", "world", "life", "new", "one", "day", "young", "must", "find",
          "time", "people", "story", "journey", "friends", "city", "begins", "however", "soon",
          "after", "only", "way", "two", "girl", "boy", "man", "woman", "home", "old"]

TYPES = ["TV", "Movie", "OVA", "Special", "ONA", "Music"]
TYPE_P = [0.40, 0.18, 0.15, 0.12, 0.10, 0.05]

PLACEHOLDER = ("No synopsis information has been added to this title. Help improve our "
               "database by adding a synopsis here.")


def _genre_vocab(n_genres: int, rng: np.random.Generator) -> dict[str, list[str]]:
    """The first genres use the readable lists above; more genres get invented words."""
    names = list(GENRE_WORDS)[:n_genres]
    vocab = {g: GENRE_WORDS[g] for g in names}
    syllables = ["ka", "ri", "mo", "zu", "te", "shi", "na", "ro", "pe", "lu", "go", "vi"]
    for k in range(len(names), n_genres):
        words = ["".join(rng.choice(syllables, size=3)) + f"{k}" for _ in range(8)]
        vocab[f"Genre{k + 1}"] = words
    return vocab


def make_synthetic_corpus(n_docs: int = 2000, n_genres: int = 12, seed: int = 0,
                          doc_length: tuple[int, int] = (30, 90), signal: float = 0.25,
                          placeholder_rate: float = 0.01) -> pd.DataFrame:
    """A DataFrame with columns ``MAL_ID, Name, Type, Genres, Synopsis, Score`` like
    :func:`anime_genre.datasets.load_mal2020`. Deterministic for a given ``seed``.

    - ``n_genres`` genres (at most 12 with readable words, more get invented words);
      genre k appears in roughly ``0.45 / (k + 1) ** 0.9`` of the documents (imbalanced),
      and genre 2j + 1 joins genre 2j in half the documents that have 2j (co-occurrence).
    - Each synopsis has ``doc_length`` tokens (uniform range), a share ``signal`` of them
      drawn from its genres' indicative words, the rest from common filler words.
    - Types from TV/Movie/OVA/Special plus ONA and Music (to be filtered); a share
      ``placeholder_rate`` of synopses is MyAnimeList's placeholder text.
    """
    if n_genres < 2:
        raise ValueError("n_genres must be at least 2")
    rng = np.random.default_rng(seed)
    vocab = _genre_vocab(n_genres, rng)
    names = list(vocab)
    prior = 0.45 / (np.arange(n_genres) + 1) ** 0.9
    filler_p = 1.0 / (np.arange(len(FILLER)) + 1)  # Zipf-like filler frequencies
    filler_p /= filler_p.sum()

    ids = np.sort(rng.choice(np.arange(1, 60 * n_docs), size=n_docs, replace=False))
    rows = []
    for i in range(n_docs):
        has = rng.random(n_genres) < prior
        for j in range(0, n_genres - 1, 2):  # pairs that tend to co-occur
            if has[j] and rng.random() < 0.5:
                has[j + 1] = True
        if not has.any():
            has[rng.choice(n_genres, p=prior / prior.sum())] = True
        genres = [names[k] for k in np.flatnonzero(has)]
        if rng.random() < placeholder_rate:
            synopsis = PLACEHOLDER
        else:
            length = int(rng.integers(doc_length[0], doc_length[1] + 1))
            from_genre = rng.random(length) < signal
            filler = rng.choice(len(FILLER), size=length, p=filler_p)
            which = rng.integers(len(genres), size=length)
            word = rng.integers(8, size=length)  # every genre has 8 words
            tokens = [vocab[genres[which[t]]][word[t]] if from_genre[t] else FILLER[filler[t]]
                      for t in range(length)]
            synopsis = " ".join(tokens).capitalize() + "."
        rows.append({
            "MAL_ID": int(ids[i]),
            "Name": f"Synthetic Title {i + 1}",
            "Type": TYPES[rng.choice(len(TYPES), p=TYPE_P)],
            "Genres": ", ".join(genres),
            "Synopsis": synopsis,
            "Score": round(float(rng.uniform(4.0, 9.0)), 2),
        })
    return pd.DataFrame(rows, columns=["MAL_ID", "Name", "Type", "Genres", "Synopsis", "Score"])
