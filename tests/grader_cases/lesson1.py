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

# ----------------------------------------------------------------------------- more cases
# (issue 10, item 3: at least 5 buggy and 3 correct implementations per exercise)

BUGGY += [
    # --- mal_id
    ("l1_mal_id", "only the canonical link (the 2021 layout may have just og:url)", '''
def parse_mal_id(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    link = soup.find("link", rel="canonical")
    if link is None:
        raise PageParseError("mal_id", "no canonical link")
    return int(link["href"].split("/anime/")[1].split("/")[0])
'''),
    ("l1_mal_id", "the id returned as a string", '''
def parse_mal_id(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    for tag in soup.select('link[rel="canonical"], meta[property="og:url"]'):
        url = tag.get("href") or tag.get("content") or ""
        m = re.search(r"/anime/(\\d+)", url)
        if m:
            return m.group(1)
    raise PageParseError("mal_id", "no anime address")
'''),
    ("l1_mal_id", "regex \\d instead of \\d+: only the first digit", '''
def parse_mal_id(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    link = soup.find("link", rel="canonical")
    meta = soup.find("meta", property="og:url")
    url = link["href"] if link is not None else meta["content"] if meta is not None else ""
    m = re.search(r"/anime/(\\d)", url)
    if m is None:
        raise PageParseError("mal_id", "no anime address")
    return int(m.group(1))
'''),
    ("l1_mal_id", "a regex on the raw page, no PageParseError when nothing matches", '''
def parse_mal_id(html):
    match = re.search(r"myanimelist\\.net/anime/(\\d+)", str(html))
    return int(match.group(1))
'''),
    ("l1_mal_id", "returns None instead of raising on a page without an address", '''
def parse_mal_id(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    for tag in soup.find_all(["link", "meta"]):
        url = tag.get("href", "") if tag.name == "link" else tag.get("content", "")
        if "/anime/" in url:
            return int(url.split("/anime/")[1].split("/")[0])
    return None
'''),
    # --- name
    ("l1_name", "the <title> tag without the site suffix (old pages differ)", '''
def parse_name(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    if soup.title is None:
        raise PageParseError("name", "no <title>")
    return soup.title.get_text().split(" - ")[0].strip()
'''),
    ("l1_name", "h1.string: None when the <h1> has whitespace around a <strong> (2021 layout)", '''
def parse_name(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    h1 = soup.find("h1")
    if h1 is None:
        raise PageParseError("name", "no <h1>")
    return h1.string.strip()
'''),
    ("l1_name", "only <span itemprop=name> (the 2017-2019 layout)", '''
def parse_name(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    span = soup.find("span", itemprop="name")
    if span is None:
        raise PageParseError("name", "no name span")
    return " ".join(span.get_text().split())
'''),
    ("l1_name", "only the first <strong> of the page (the 2021+ layout)", '''
def parse_name(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    strong = soup.find("strong")
    if strong is None:
        raise PageParseError("name", "no <strong> title")
    return " ".join(strong.get_text().split())
'''),
    ("l1_name", "an empty string instead of an error when the page has no <h1>", '''
def parse_name(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    h1 = soup.select_one("h1 strong") or soup.select_one("h1")
    return " ".join(h1.get_text().split()) if h1 is not None else ""
'''),
    # --- type
    ("l1_type", "label matched with string='Type:' exactly (the 2021 label spreads over lines)", '''
def parse_type(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    label = soup.find("span", class_="dark_text", string="Type:")
    if label is None:
        raise PageParseError("type", "no Type: row")
    return " ".join(label.parent.get_text().replace("Type:", "", 1).split())
'''),
    ("l1_type", "the text node right after the label: empty when the value is a link", '''
def parse_type(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    for label in soup.select("span.dark_text"):
        if label.get_text(strip=True) == "Type:":
            return " ".join(str(label.next_sibling or "").split())
    raise PageParseError("type", "no Type: row")
'''),
    ("l1_type", "the first sidebar row, whatever its label", '''
def parse_type(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    label = soup.find("span", class_="dark_text")
    row = " ".join(label.parent.get_text().split())
    return row.split(":", 1)[1].strip()
'''),
    ("l1_type", "returns None instead of raising when there is no Type: row", '''
def parse_type(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    for label in soup.find_all("span", class_="dark_text"):
        if label.get_text().strip() == "Type:":
            return label.parent.get_text(" ", strip=True).replace("Type:", "", 1).strip()
    return None
'''),
    # --- genres
    ("l1_genres", "the hidden itemprop=genre spans and the links both read (2021+: each genre twice)", '''
def parse_genres(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    genres, found = [], False
    for label in soup.find_all("span", class_="dark_text"):
        if re.match(r"^(Genres?|Themes?|Demographics?):$", label.get_text().strip()):
            found = True
            for node in label.find_next_siblings(["a", "span"]):
                genres.append(" ".join(node.get_text().split()))
    if not found:
        raise PageParseError("genres", "no genre row")
    return genres
'''),
    ("l1_genres", "a row without links raises instead of giving []", '''
def parse_genres(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    genres = []
    for label in soup.find_all("span", class_="dark_text"):
        if re.match(r"^(Genres?|Themes?|Demographics?):$", label.get_text().strip()):
            genres += [" ".join(a.get_text().split()) for a in label.parent.find_all("a")]
    if not genres:
        raise PageParseError("genres", "no genres on the page")
    return list(dict.fromkeys(genres))
'''),
    ("l1_genres", "duplicates removed with a set: page order lost", '''
def parse_genres(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    labels = [s for s in soup.find_all("span", class_="dark_text")
              if re.match(r"^(Genres?|Themes?|Demographics?):$", s.get_text().strip())]
    if not labels:
        raise PageParseError("genres", "no genre row")
    names = {" ".join(a.get_text().split()) for label in labels for a in label.parent.find_all("a")}
    return sorted(n for n in names if n)
'''),
    # --- split_source_tail
    ("l1_split_source_tail", "whitespace of the text not collapsed", '''
def split_source_tail(text):
    match = re.search(r"\\s*([\\[(]\\s*(?:Written by|Source\\s*:)[^\\[\\]()]*[\\])])\\s*$", text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), match.group(1)
'''),
    ("l1_split_source_tail", "only the exact forms '(Source:' and '[Written by' (a space after the bracket is missed)", '''
def split_source_tail(text):
    text = " ".join(text.split())
    for opening, closing in (("(Source:", ")"), ("[Written by", "]")):
        start = text.rfind(opening)
        if start >= 0 and text.endswith(closing):
            return text[:start].strip(), text[start:]
    return text, ""
'''),
    ("l1_split_source_tail", "the space before the tail left at the end of the text", '''
def split_source_tail(text):
    text = " ".join(text.split())
    if not text.endswith((")", "]")):
        return text, ""
    start = max(text.rfind("("), text.rfind("["))
    inside = text[start + 1:-1].strip()
    if start >= 0 and (inside.startswith("Written by") or re.match(r"Source\\s*:", inside)):
        return text[:start], text[start:]
    return text, ""
'''),
    # --- synopsis
    ("l1_synopsis", "the first itemprop=description element, even the <meta> page summary (2022 layout)", '''
def parse_synopsis(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    element = soup.find(attrs={"itemprop": "description"})
    if element is None:
        raise PageParseError("synopsis", "no description")
    for br in element.find_all("br"):
        br.replace_with("\\n")
    text, tail = split_source_tail(element.get_text() or element.get("content", ""))
    if not text:
        raise PageParseError("synopsis", "empty synopsis")
    if text.lower().startswith("no synopsis"):
        raise PageParseError("synopsis", "placeholder")
    return text, tail
'''),
    ("l1_synopsis", "the source tail not split off (left in the text)", '''
def parse_synopsis(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    element = soup.find(lambda tag: tag.get("itemprop") == "description" and tag.name != "meta")
    if element is None:
        raise PageParseError("synopsis", "no description")
    for br in element.find_all("br"):
        br.replace_with(" ")
    text = " ".join(element.get_text().split())
    if not text:
        raise PageParseError("synopsis", "empty synopsis")
    if text.lower().startswith("no synopsis"):
        raise PageParseError("synopsis", "placeholder")
    return text, ""
'''),
    ("l1_synopsis", "the placeholder text returned as a synopsis",
     mutate(("    if re.match(r\"no synopsis (information )?has been added\", synopsis, re.IGNORECASE):\n"
             "        raise PageParseError(\"synopsis\", \"placeholder text, no synopsis on this page\")\n", ""))),
    ("l1_synopsis", "only <p itemprop=description> (the old layout uses a <span>)", '''
def parse_synopsis(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    element = soup.find("p", itemprop="description")
    if element is None:
        raise PageParseError("synopsis", "no <p itemprop=description>")
    for br in element.find_all("br"):
        br.replace_with("\\n")
    text, tail = split_source_tail(element.get_text())
    if not text:
        raise PageParseError("synopsis", "empty synopsis")
    if re.match(r"no synopsis (information )?has been added", text, re.IGNORECASE):
        raise PageParseError("synopsis", "placeholder")
    return text, tail
'''),
    ("l1_synopsis", "an empty synopsis returned instead of raising",
     mutate(("    if not synopsis:\n        raise PageParseError(\"synopsis\", \"the synopsis is empty\")\n", ""))),
]

CORRECT += [
    ("l1_mal_id", "str methods on the address: the path segment after 'anime'", '''
def parse_mal_id(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    addresses = []
    for tag in soup.find_all("link"):
        if "canonical" in (tag.get("rel") or []):
            addresses.append(tag.get("href", ""))
    for tag in soup.find_all("meta"):
        if tag.get("property") == "og:url":
            addresses.append(tag.get("content", ""))
    for address in addresses:
        parts = address.split("/")
        if "anime" in parts:
            k = parts.index("anime")
            if k + 1 < len(parts) and parts[k + 1].isdigit():
                return int(parts[k + 1])
    raise PageParseError("mal_id", "no canonical link or og:url with /anime/<id>")
'''),
    ("l1_mal_id", "urllib.parse on each address, digits read with takewhile", '''
from itertools import takewhile
from urllib.parse import urlparse

def parse_mal_id(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    link = soup.select_one("link[rel=canonical][href]")
    meta = soup.select_one("meta[property='og:url'][content]")
    for url in ([link["href"]] if link else []) + ([meta["content"]] if meta else []):
        path = urlparse(url).path
        if path.startswith("/anime/"):
            digits = "".join(takewhile(str.isdigit, path[len("/anime/"):]))
            if digits:
                return int(digits)
    raise PageParseError("mal_id", "the page has no /anime/<id> address")
'''),
    ("l1_name", "get_text with a separator and strip, whitespace collapsed by a regex", '''
def parse_name(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    headings = soup.find_all("h1")
    if not headings:
        raise PageParseError("name", "no <h1>")
    inner = headings[0].find(["strong"]) or headings[0].find(itemprop="name") or headings[0]
    name = re.sub(r"\\s+", " ", inner.get_text(" ", strip=True))
    if name == "":
        raise PageParseError("name", "empty <h1>")
    return name
'''),
    ("l1_type", "label by a regex on its string, value = the label's following siblings", '''
def parse_type(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    label = soup.find("span", class_="dark_text", string=re.compile(r"^\\s*Type:\\s*$"))
    if label is None:
        raise PageParseError("type", "no Type: row")
    parts = []
    for sibling in label.next_siblings:
        parts.append(sibling.get_text() if hasattr(sibling, "get_text") else str(sibling))
    value = " ".join("".join(parts).split())
    if not value:
        raise PageParseError("type", "empty Type: row")
    return value
'''),
    ("l1_type", "CSS select, the row's text partitioned on the label", '''
def parse_type(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    for span in soup.select("div > span.dark_text"):
        if span.get_text(strip=True) != "Type:":
            continue
        before, _, after = span.parent.get_text(" ", strip=True).partition("Type:")
        after = " ".join(after.split())
        if after:
            return after
        raise PageParseError("type", "the Type: row has no value")
    raise PageParseError("type", "no Type: row")
'''),
    ("l1_genres", "labels by str methods, links selected by href, a seen set", '''
def parse_genres(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    rows = []
    for span in soup.select("span.dark_text"):
        label = span.get_text().strip()
        if label.endswith(":") and label[:-1].rstrip("s") in ("Genre", "Theme", "Demographic"):
            rows.append(span.parent)
    if not rows:
        raise PageParseError("genres", "no Genres, Themes or Demographic row")
    seen, out = set(), []
    for row in rows:
        for a in row.select("a[href]"):
            name = " ".join(a.get_text().split())
            if name and name not in seen:
                seen.add(name)
                out.append(name)
    return out
'''),
    ("l1_split_source_tail", "a backwards scan for the last bracket, label read with str.partition", '''
def split_source_tail(text):
    text = " ".join(text.split())
    if not text.endswith((")", "]")):
        return text, ""
    start = -1
    for pos in range(len(text) - 2, -1, -1):
        if text[pos] in "()[]":
            start = pos
            break
    if start < 0 or text[start] not in "([":
        return text, ""
    note = text[start:]
    body = note[1:-1].strip()
    label, colon, _ = body.partition(":")
    if body.startswith("Written by") or (colon and label.strip() == "Source"):
        return text[:start].rstrip(), note
    return text, ""
'''),
    ("l1_split_source_tail", "str.rpartition on the opening bracket matching the last character", '''
def split_source_tail(text):
    text = " ".join(text.split())
    pairs = {")": "(", "]": "["}
    if text[-1:] not in pairs:
        return text, ""
    head, sep, rest = text.rpartition(pairs[text[-1]])
    inner = rest[:-1]
    if not sep or any(b in inner for b in "()[]"):
        return text, ""
    inner = inner.strip()
    if inner.startswith("Written by") or inner.replace(" ", "").startswith("Source:"):
        return head.strip(), sep + rest
    return text, ""
'''),
    ("l1_synopsis", "CSS selector, <br> tags replaced in the element's HTML, parsed again", '''
def parse_synopsis(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    element = soup.select_one("p[itemprop=description], span[itemprop=description], div[itemprop=description]")
    if element is None:
        raise PageParseError("synopsis", "no synopsis element")
    inner = re.sub(r"<br\\s*/?>", "\\n", element.decode_contents(), flags=re.IGNORECASE)
    text, tail = split_source_tail(BeautifulSoup(inner, "html.parser").get_text())
    if not text:
        raise PageParseError("synopsis", "empty synopsis")
    if text.lower().startswith(("no synopsis information has been added", "no synopsis has been added")):
        raise PageParseError("synopsis", "placeholder")
    return text, tail
'''),
    ("l1_synopsis", "a recursive text walk where <br> is a space", '''
from bs4 import NavigableString

def _text_of(node):
    if isinstance(node, NavigableString):
        return str(node)
    if node.name == "br":
        return " "
    return "".join(_text_of(child) for child in node.children)

def parse_synopsis(html):
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    element = soup.find(lambda tag: tag.name != "meta" and tag.get("itemprop") == "description")
    if element is None:
        raise PageParseError("synopsis", "no itemprop=description element")
    text, tail = split_source_tail(_text_of(element))
    if len(text) == 0:
        raise PageParseError("synopsis", "empty")
    if re.match(r"(?i)no synopsis (information )?has been added", text):
        raise PageParseError("synopsis", "placeholder text")
    return text, tail
'''),
]
