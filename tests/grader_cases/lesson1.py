"""Lesson 1 (scraping): bugs that must lose points."""
from grader_cases import mutate

BUGGY = [
    ("l1_split_source_tail", "off-by-one: the text loses its last character",
     mutate(("return text[: match.start()].strip(), match.group(1)",
             "return text[: match.start() - 1].strip(), match.group(1)"))),
    ("l1_split_source_tail", "off-by-one: the tail loses its opening bracket",
     mutate(("return text[: match.start()].strip(), match.group(1)",
             "return text[: match.start()].strip(), match.group(1)[1:]"))),
    ("l1_genres", "genres from the wrong row (the row after the label's)",
     mutate(("for link in label.parent.find_all(\"a\"):",
             "for link in (label.parent.find_next_sibling() or label.parent).find_all(\"a\"):"),
            ("if genre and genre not in genres:", "if genre and genre not in genres and label.parent.find_next_sibling():"))),
]

CORRECT = []
