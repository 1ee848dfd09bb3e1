"""Lesson 1 (scraping): bugs that must lose points, and correct parsers written differently
from the reference (other selectors, text search instead of attributes, str methods instead
of a regular expression) that must get full marks on every page layout the checks use."""
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
    ("l1_mal_id", "only the og:url meta tag (older pages have just the canonical link)", '''
def parse_mal_id(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    meta = soup.find("meta", property="og:url")
    if meta is None:
        raise PageParseError("mal_id", "no og:url")
    return int(re.search(r"/anime/(\\d+)", meta["content"]).group(1))
'''),
    ("l1_name", "the text of the name element, English title included (2021 layout)", '''
def parse_name(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    node = soup.find(attrs={"itemprop": "name"}) or soup.find("h1")
    if node is None:
        raise PageParseError("name", "no title")
    return " ".join(node.get_text().split())
'''),
    ("l1_type", "the value read from the row's link (a Type given as plain text is missed)",
     mutate(("row = \" \".join(label.parent.get_text().split())",
             "row = \"Type: \" + \" \".join(label.find_next_sibling(\"a\").get_text().split())"))),
    ("l1_genres", "the hidden itemprop=genre spans only (older pages have none)", '''
def parse_genres(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    if soup.find("span", class_="dark_text", string=re.compile("Genres?:")) is None:
        raise PageParseError("genres", "no Genres row")
    return [" ".join(s.get_text().split()) for s in soup.find_all(itemprop="genre")]
'''),
    ("l1_genres", "only the Genres row: 2022 themes and demographic missed",
     mutate(("r\"^(Genres?|Themes?|Demographics?):$\"", "r\"^Genres?:$\""))),
    ("l1_split_source_tail", "any final bracketed note is taken for a source tail",
     mutate(("(?:Written by|Source\\s*:)", ""))),
    ("l1_synopsis", "<br> not replaced: words on both sides glued together",
     mutate(("        br.replace_with(\"\\n\")", "        pass"))),
]

CORRECT = [
    ("l1_mal_id", "CSS selectors and a regular expression on each address", '''
def parse_mal_id(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    urls = [tag.get("href") or tag.get("content") or ""
            for tag in soup.select('link[rel="canonical"], meta[property="og:url"]')]
    for url in urls:
        found = re.findall(r"/anime/([0-9]+)", url)
        if found:
            return int(found[0])
    raise PageParseError("mal_id", "no address with /anime/<id>")
'''),
    ("l1_name", "a different selector: h1 > strong, else the itemprop span, else the h1", '''
def parse_name(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    if soup.h1 is None:
        raise PageParseError("name", "the page has no h1")
    node = soup.select_one("h1 strong") or soup.select_one('h1 [itemprop="name"]') or soup.h1
    title = re.sub(r"\\s+", " ", node.get_text()).strip()
    if title == "":
        raise PageParseError("name", "empty h1")
    return title
'''),
    ("l1_name", "the whole <h1> text through its strings", '''
def parse_name(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    heading = soup.find("h1")
    words = "".join(heading.strings).split() if heading is not None else []
    if not words:
        raise PageParseError("name", "no title in an <h1>")
    return " ".join(words)
'''),
    ("l1_type", "label found by its text node, value = row text after the label", '''
def parse_type(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    label = soup.find(string=lambda s: s.strip() == "Type:")
    if label is None:
        raise PageParseError("type", "no Type: label")
    row_text = label.find_parent("div").get_text()
    value = " ".join(row_text.split("Type:", 1)[1].split())
    if not value:
        raise PageParseError("type", "Type: row without a value")
    return value
'''),
    ("l1_genres", "labels found by their text (a set of names), links as the label's siblings", '''
def parse_genres(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    row_names = {"Genre:", "Genres:", "Theme:", "Themes:", "Demographic:", "Demographics:"}
    labels = [span for span in soup.find_all("span", class_="dark_text")
              if span.get_text(strip=True) in row_names]
    if not labels:
        raise PageParseError("genres", "no Genres/Themes/Demographic row")
    names = []
    for label in labels:
        for a in label.find_next_siblings("a"):
            names.append(" ".join(a.get_text().split()))
    return [n for n in dict.fromkeys(names) if n]
'''),
    ("l1_genres", "label text nodes matched by a regex, then find_parent('div')", '''
def parse_genres(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    label_re = re.compile(r"^\\s*(Genre|Theme|Demographic)s?:\\s*$")
    texts = soup.find_all(string=label_re)
    if len(texts) == 0:
        raise PageParseError("genres", "no genre row on the page")
    result = []
    for text in texts:
        for link in text.find_parent("div").find_all("a"):
            name = link.get_text(" ", strip=True)
            if name and name not in result:
                result.append(name)
    return result
'''),
    ("l1_split_source_tail", "rfind of the last bracket instead of a regular expression", '''
def split_source_tail(text):
    text = " ".join(text.split())
    if not text or text[-1] not in ")]":
        return text, ""
    start = max(text.rfind(b, 0, len(text) - 1) for b in "[]()")
    if start < 0 or text[start] not in "([":
        return text, ""
    inside = text[start + 1:-1].lstrip()
    after_source = inside[len("Source"):].lstrip()
    if inside.startswith("Written by") or (inside.startswith("Source") and after_source.startswith(":")):
        return text[:start].strip(), text[start:]
    return text, ""
'''),
    ("l1_synopsis", "walks the description's strings, a <br> giving a newline", '''
def parse_synopsis(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    candidates = [el for el in soup.find_all(itemprop="description") if el.name != "meta"]
    if not candidates:
        raise PageParseError("synopsis", "no description element")
    pieces = []
    for node in candidates[0].descendants:
        if getattr(node, "name", None) == "br":
            pieces.append("\\n")
        elif isinstance(node, str):
            pieces.append(str(node))
    text, tail = split_source_tail("".join(pieces))
    if text == "":
        raise PageParseError("synopsis", "empty synopsis")
    lowered = text.lower()
    if lowered.startswith("no synopsis information has been added") or lowered.startswith("no synopsis has been added"):
        raise PageParseError("synopsis", "placeholder")
    return text, tail
'''),
]
