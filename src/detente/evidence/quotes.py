"""Quotations and their speakers.

Quoted spans are curly (“...”) or straight ("...") pairs. A span counts as a quote when a speech
verb attributes it in the same sentence ("..., Lavrov said", "Lavrov told Rubio: ...", "according
to ...") or when it holds at least four words; shorter unattributed spans are scare quotes and
left out.

The speaker: in "..., said X" the last name of the attributing phrase; in "X said ..." its first
full name (a one-word modifier such as "Bestavian" loses to "Petra Hollis"). A name that modifies
a role noun ("a Kremlin spokesman") or is an affiliation ("a spokeswoman for the Basin
Commission") names no one: speaker None. "he"/"she" is the first person the sentence names, else
the person named last before the quote in the paragraph, else the previous speaker. A quote split
around its attribution (“A,” X said, “B.”) is one quote whose span covers both parts; an
unattributed quote in the sentence right after an attributed one (“A,” X said. “B.”) is X's too.
A one-word name is expanded to the fuller form the article used ("Lavrov" -> "Sergei Lavrov").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPEECH = (r"(?:said|says|say|told|tells|tell|added|adds|warned|warns|stated|states|argued|argues|"
          r"insisted|insists|declared|declares|wrote|writes|noted|notes|explained|explains|"
          r"asked|asks|replied|replies|claimed|claims|announced|announces|posted|tweeted|"
          r"observed|observes|remarked|remarks|urged|urges|vowed|vows|promised|promises|"
          r"criticized|criticised|threatened|threatens|called|calls|described|describes|"
          r"put it|puts it|complained|complains|conceded|concedes|admitted|admits|calling|saying|"
          r"telling|warning|adding|insisting|arguing|declaring)")
TITLES = {"president", "minister", "secretary", "senator", "spokesman", "spokeswoman", "envoy",
          "chancellor", "premier", "ambassador", "mr", "ms", "mrs", "dr", "general"}
ROLES = {"official", "officials", "spokesman", "spokeswoman", "spokesperson", "diplomat",
         "diplomats", "aide", "aides", "source", "sources", "adviser", "advisers", "advisor",
         "someone", "analyst", "analysts", "minister", "ministry", "officer", "commander",
         "lawmaker", "senator", "envoy", "negotiator", "negotiators", "delegate", "expert",
         "person", "people", "statement", "representative"}
_QUOTE = re.compile(r"“([^”]*)”|\"([^\"]*)\"")
_NAME = re.compile(r"(?:[A-Z][\w'’.-]*)(?:\s+(?:[A-Z][\w'’.-]*|de|van|von|al-[A-Z]\w*))*")
_AFTER_VERB = re.compile(rf"^\s*[,.!?—-]?\s*{SPEECH}\s+(?P<who>[^.;:“\"]{{1,80}})")
_AFTER_NAME = re.compile(rf"^\s*[,.!?—-]?\s*(?P<who>[^,.;:“\"]{{1,60}}?)\s+(?:has\s+|had\s+)?"
                         rf"{SPEECH}\b")
_BEFORE = re.compile(rf"(?<![\w’'])(?P<who>[^.;:“\"]{{1,80}}?)\s+(?:has\s+|had\s+|also\s+)?"
                     rf"{SPEECH}\b(?P<tail>[^.“\"]{{0,60}}?)[,:]?\s*(?:that\s+)?$")
_ACCORDING = re.compile(r"according to (?P<who>[^,.;“\"]{1,60}?),?\s*$", re.IGNORECASE)
_ACCORDING_AFTER = re.compile(r"^\s*[,.]?\s*according to (?P<who>[^,.;“\"]{1,60})",
                              re.IGNORECASE)
_PRONOUN = re.compile(r"^(?:he|she|they)$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?][”\"’]?\s+(?=[A-Z“\"])")


@dataclass(frozen=True)
class QuoteSpan:
    """A quote in a paragraph; ``start``/``end`` are character offsets covering the marks."""

    start: int
    end: int
    speaker: str | None
    text: str
    attributed: bool


def _who_name(who: str, stop: set[str], first: bool) -> str | None:
    """The speaker named in an attributing phrase (its first name when the name comes before
    the verb, else its last), or None for an unnamed one."""
    found = []
    for m in _NAME.finditer(who):
        words = m.group(0).split()
        titled = [k for k, w in enumerate(words) if w.lower() in TITLES]
        if titled and titled[-1] < len(words) - 1:
            words = words[titled[-1] + 1:]  # "Ukrainian President Volodymyr Zelensky"
        while words and words[0].lower() in stop:
            words = words[1:]
        following = who[m.end():].split()[:1]
        if re.search(r"\b(?:for|of|at|from)(?:\s+the)?\s*$", who[:m.start()]):
            continue  # "a spokeswoman for the Basin Commission": an affiliation, not a name
        if not words or (following and following[0].lower().strip(".,") in ROLES):
            continue  # "a Kremlin spokesman": an unnamed speaker
        found.append(re.sub(r"['’]s?$", "", " ".join(words)))
    if not found:
        return None
    if first:  # "Bestavian farm leader Petra Hollis told": a full name beats a modifier
        return next((f for f in found if " " in f), found[0])
    return found[-1]


def _attribution(before: str, after: str, inner: str) -> tuple[bool, str | None, int, bool]:
    """(attributed, who, end offset of the attribution in ``after`` (0 if it is before), whether
    the name comes before the verb)."""
    closes = bool(re.match(r"\s*,", after)) or inner.rstrip().endswith((",", ".", "!", "?"))
    for pattern, first in ((_AFTER_VERB, False), (_AFTER_NAME, True),
                           (_ACCORDING_AFTER, False)):
        m = pattern.match(after) if closes else None
        if m and _names_someone(m.group("who")):
            return True, m.group("who").strip(), m.end(), first
    for pattern in (_BEFORE, _ACCORDING):
        m = pattern.search(before)
        if m and "“" not in m.group(0):
            who = _subject(m.group("who"))
            if _names_someone(who):
                return True, who.strip(), 0, True
    return False, None, 0, False


def _subject(who: str) -> str:
    """The clause right before the verb ("on Thursday, he"), unless it names no one: then the
    phrase with its apposition ("the minister, Kaveh Duran,")."""
    last = who.rsplit(",", 1)[-1]
    return last if _names_someone(last) else who


def _names_someone(who: str) -> bool:
    """An attributing phrase names a speaker, a pronoun, or an unnamed role ("an official")."""
    words = {w.lower().strip(".,") for w in who.split()}
    return bool(_PRONOUN.match(who.strip()) or _NAME.search(who) or words & ROLES)


def _sentence_before(text: str, at: int) -> str:
    head = text[max(0, at - 160):at]
    cuts = list(_SENTENCE_END.finditer(head))
    return head[cuts[-1].end():] if cuts else head


def _sentence_after(text: str, at: int) -> str:
    tail = text[at:at + 160]
    cut = _SENTENCE_END.search(tail)
    return tail[:cut.start() + 1] if cut else tail


def find_quotes(text: str, stop: set[str], last_speaker: str | None = None,
                names: list[str] | None = None) -> tuple[list[QuoteSpan], str | None]:
    """Quotes in one paragraph, and the last speaker named (for "he said" in later ones)."""
    names = names if names is not None else []
    found = [(m.start(), m.end(), m.group(1) if m.group(1) is not None else m.group(2))
             for m in _QUOTE.finditer(text)]
    out: list[QuoteSpan] = []
    k = 0
    while k < len(found):
        start, end, inner = found[k]
        before, after = _sentence_before(text, start), _sentence_after(text, end)
        attributed, who, cut, first = _attribution(before, after, inner)
        speaker = _speaker(who, stop, first, _first_name(before, names)
                           or _nearest(text[:start], names) or last_speaker)
        if attributed and cut and k + 1 < len(found) and re.fullmatch(
                r"\s*[,:;—-]?\s*", text[end + cut:found[k + 1][0]]):  # “A,” X said, “B.”
            end, inner = found[k + 1][1], f"{inner} {found[k + 1][2]}"
            k += 1
        if not attributed and _continues(out, text, start):  # “A,” X said. “B.”
            attributed, speaker = True, out[-1].speaker
        if attributed or len(inner.split()) >= 4:
            speaker = expand(speaker, names) if attributed else None
            out.append(QuoteSpan(start, end, speaker, inner, attributed))
            last_speaker = speaker or last_speaker
        k += 1
    return out, last_speaker


def _continues(out: list[QuoteSpan], text: str, start: int) -> bool:
    """Whether a quote at ``start`` opens the sentence after an attributed quote."""
    if not out or not out[-1].attributed:
        return False
    gap = text[out[-1].end:start]
    return len(gap) <= 120 and re.fullmatch(r"[^“\"]*[.!?]\s*", gap) is not None


def _first_name(sentence: str, names: list[str]) -> str | None:
    """The full name whose surname comes first in a sentence (its likely subject)."""
    hits = [(sentence.find(full.split()[-1]), full) for full in names]
    hits = [h for h in hits if h[0] >= 0]
    return min(hits)[1] if hits else None


def _nearest(text: str, names: list[str]) -> str | None:
    """The full name whose surname occurs last in ``text`` (for "he said")."""
    best, at = None, -1
    for full in names:
        k = text.rfind(full.split()[-1])
        if k > at:
            best, at = full, k
    return best


def _speaker(who: str | None, stop: set[str], first: bool, previous: str | None) -> str | None:
    if who is None:
        return None
    if _PRONOUN.match(who.strip()):
        return previous
    return _who_name(who, stop, first)


def expand(name: str | None, names: list[str]) -> str | None:
    """A one-word name as the fuller form the article used ("Lavrov" -> "Sergei Lavrov")."""
    if name is None or " " in name:
        return name
    for full in reversed(names):
        if full.endswith(" " + name):
            return full
    return name
