"""Write the bundled sample corpus (examples/data) with planted, countable cases.

All text is original: it is assembled from this script's own templates and word lists with
a fixed seed, so running it twice gives byte-identical files. Standard library only.

    python examples/make_corpus.py [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED = 20261121
DEFAULT_OUT = Path(__file__).resolve().parent / "data"
CLEAN_REVIEWS = 305
CLEAN_POSTS = 300
PAGE_COUNT = 24
OVERSIZE_CHARS = 1_050_000
# Clean rows whose 3-word-shingle Jaccard with any earlier clean row exceeds this are redrawn,
# so the only (near-)duplicates in the corpus are the planted ones.
MAX_CLEAN_JACCARD = 0.3
SHINGLE = 3

LICENSES = {
    "reviews.csv": "cc-by-4.0",
    "posts.jsonl": "cc0-1.0",
    "pages/*.html": "cc-by-sa-4.0",
}

# --------------------------------------------------------------------------------------------
# Checksums, so the planted card numbers and IBANs are valid (and fictional: test ranges).


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit to `prefix` (digits only)."""
    total = 0
    for position, char in enumerate(reversed(prefix)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return prefix + str((10 - total % 10) % 10)


def iban_complete(country: str, bban: str) -> str:
    """Return the IBAN for `country` + `bban` with its mod-97 check digits, in groups of four."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    check = 98 - int(numeric) % 97
    compact = f"{country}{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def group_digits(digits: str, separator: str) -> str:
    return separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))


# --------------------------------------------------------------------------------------------
# Text similarity, used to keep clean rows apart and to report near-duplicate strength.


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def shingles(text: str, size: int = SHINGLE) -> set[tuple[str, ...]]:
    tokens = words(text)
    if len(tokens) < size:
        return {tuple(tokens)}
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def jaccard(a: str, b: str, size: int = SHINGLE) -> float:
    sa, sb = shingles(a, size), shingles(b, size)
    return len(sa & sb) / len(sa | sb)


def normalize(text: str) -> str:
    """Case- and whitespace-insensitive form used for `normalized_duplicate`."""
    return " ".join(text.lower().split())


# --------------------------------------------------------------------------------------------
# Reviews: product word lists and sentence templates.

PRODUCTS: dict[str, dict[str, list[str]]] = {
    "kettle": {
        "aspects": ["handle", "lid", "spout", "water gauge"],
        "uses": ["morning tea", "a small office kitchen", "weekends in the camper van"],
        "pros": [
            "it boils a full jug in about four minutes",
            "the lid opens with one gentle press",
            "it pours without dribbling down the side",
            "it switches off the moment the water boils",
        ],
        "cons": [
            "the base wobbles slightly on our counter",
            "the water gauge is hard to read in dim light",
            "it gets louder than I expected near the boil",
            "the cord is a little short for our layout",
        ],
    },
    "desk lamp": {
        "aspects": ["arm", "dimmer", "base", "light colour"],
        "uses": ["late reading", "a cramped home office", "sketching at night"],
        "pros": [
            "the arm stays exactly where I point it",
            "the warm setting is easy on tired eyes",
            "the dimmer goes low enough for a sleeping room",
            "the weighted base never tips over",
        ],
        "cons": [
            "the touch switch sometimes needs two taps",
            "the hinge squeaks when I move it quickly",
            "the cool setting looks slightly blue",
            "the cable comes out at an awkward angle",
        ],
    },
    "backpack": {
        "aspects": ["shoulder straps", "zips", "laptop sleeve", "side pockets"],
        "uses": ["daily commuting", "weekend hikes", "carrying books across campus"],
        "pros": [
            "the padded straps spread the weight evenly",
            "the zips run smoothly even when the bag is full",
            "the laptop sleeve keeps my machine off the floor of the bag",
            "the fabric shrugged off a heavy shower",
        ],
        "cons": [
            "the side pockets are too shallow for a tall bottle",
            "the chest strap slips loose during the day",
            "the grey fabric shows every mark",
            "there is no handle on the top panel",
        ],
    },
    "running shoes": {
        "aspects": ["cushioning", "laces", "heel counter", "outsole"],
        "uses": ["easy morning runs", "training for a half marathon", "gravel paths by the river"],
        "pros": [
            "the cushioning stays lively after three hundred kilometres",
            "they felt comfortable straight out of the box",
            "the grip holds firm on wet pavement",
            "the wide toe box leaves room for swelling feet",
        ],
        "cons": [
            "the laces come undone unless I double knot them",
            "the tongue slides to one side on long runs",
            "the outsole wears quickly on asphalt",
            "they run half a size small",
        ],
    },
    "blender": {
        "aspects": ["jug", "blades", "speed dial", "lid seal"],
        "uses": ["breakfast smoothies", "soups in winter", "making nut butter"],
        "pros": [
            "it crushes ice without straining",
            "the jug comes apart for easy washing",
            "soups come out silky in under a minute",
            "the pulse button gives real control",
        ],
        "cons": [
            "it is loud enough to wake the house",
            "the lid seal leaks if you overfill the jug",
            "thick mixtures need stopping and stirring",
            "the base takes up a lot of counter space",
        ],
    },
    "headphones": {
        "aspects": ["ear cushions", "battery", "noise cancelling", "headband"],
        "uses": ["long train rides", "focused work in an open office", "podcasts while cooking"],
        "pros": [
            "the battery lasts most of a working week",
            "the noise cancelling makes a busy carriage feel calm",
            "the cushions stay comfortable for hours",
            "pairing with a second device takes seconds",
        ],
        "cons": [
            "the headband presses on the top of my head",
            "the touch controls trigger when I adjust them",
            "the case is bulky for a small bag",
            "calls sound muffled to the other person",
        ],
    },
    "water bottle": {
        "aspects": ["cap", "insulation", "opening", "finish"],
        "uses": ["the gym", "long walks in summer", "keeping tea hot at work"],
        "pros": [
            "water stays cold all afternoon in a hot car",
            "the cap seals tightly and never leaks in my bag",
            "the wide opening fits ice cubes easily",
            "the powder coat finish resists scratches",
        ],
        "cons": [
            "it does not fit most car cup holders",
            "the carry loop feels flimsy",
            "the paint chipped after one drop",
            "it holds a faint smell after coffee",
        ],
    },
    "office chair": {
        "aspects": ["lumbar support", "armrests", "seat cushion", "wheels"],
        "uses": ["long days at a desk", "a shared study", "gaming in the evenings"],
        "pros": [
            "my lower back no longer aches by the afternoon",
            "the armrests adjust in every direction",
            "assembly took twenty minutes with the included key",
            "the mesh back stays cool in summer",
        ],
        "cons": [
            "the wheels mark our wooden floor",
            "the seat foam flattened within a few months",
            "the height lever is stiff",
            "the headrest sits too low for tall people",
        ],
    },
    "tent": {
        "aspects": ["poles", "rain fly", "zips", "floor"],
        "uses": ["family camping trips", "festival weekends", "cycle touring"],
        "pros": [
            "two of us pitched it in under ten minutes",
            "it stayed dry through a night of steady rain",
            "the vestibule fits two packs and muddy boots",
            "it packs down smaller than my sleeping bag",
        ],
        "cons": [
            "condensation collects on the inner wall overnight",
            "the pegs bend in hard ground",
            "the door zip snags on the fabric",
            "it gets stuffy on warm nights",
        ],
    },
    "umbrella": {
        "aspects": ["canopy", "frame", "handle", "auto open button"],
        "uses": ["the walk to work", "windy coastal weekends", "school runs"],
        "pros": [
            "it survived gusts that flipped other umbrellas inside out",
            "the canopy is wide enough for two people",
            "it folds small enough for a coat pocket",
            "the button opens it in one smooth motion",
        ],
        "cons": [
            "the sleeve is fiddly to put back on",
            "one rib bent after a month",
            "water drips off the canopy onto my shoulders",
            "the handle feels slippery when wet",
        ],
    },
    "toaster": {
        "aspects": ["slots", "browning dial", "crumb tray", "lever"],
        "uses": ["busy breakfasts", "thick homemade bread", "a shared student kitchen"],
        "pros": [
            "both sides come out evenly golden",
            "the wide slots take thick slices and bagels",
            "the crumb tray slides out for quick cleaning",
            "the defrost setting works well on frozen bread",
        ],
        "cons": [
            "the outside gets hot to the touch",
            "the browning dial jumps between settings",
            "the lever sometimes pops up too early",
            "one slot toasts darker than the other",
        ],
    },
    "yoga mat": {
        "aspects": ["grip", "thickness", "surface", "carry strap"],
        "uses": ["home practice", "classes at the community hall", "stretching after runs"],
        "pros": [
            "my hands stay put even in a warm room",
            "it cushions my knees without feeling spongy",
            "it rolls flat with no curling edges",
            "wiping it down after class takes a moment",
        ],
        "cons": [
            "it had a rubber smell for the first week",
            "the surface picks up dust and hair",
            "it is heavy to carry across town",
            "the strap is too short to be useful",
        ],
    },
    "coffee grinder": {
        "aspects": ["burrs", "grind settings", "hopper", "motor"],
        "uses": ["pour over coffee", "a daily espresso habit", "cold brew batches"],
        "pros": [
            "the grind size is consistent from fine to coarse",
            "it is quieter than my old blade grinder",
            "adjusting the setting takes a simple twist",
            "very little coffee is left behind in the chute",
        ],
        "cons": [
            "static makes the grounds cling to the cup",
            "the hopper lid does not sit snugly",
            "it struggles with oily dark roasts",
            "the finest setting is not fine enough for espresso",
        ],
    },
    "bike light": {
        "aspects": ["beam", "mount", "battery", "charging port"],
        "uses": ["winter commuting", "unlit country lanes", "early rides before sunrise"],
        "pros": [
            "the beam lights the whole lane without dazzling drivers",
            "the mount clicks onto the bars in a second",
            "one charge covers a week of commuting",
            "the flashing mode is visible from far away",
        ],
        "cons": [
            "the rubber cover over the port keeps popping open",
            "the mount loosens on bumpy roads",
            "the battery indicator is hard to see",
            "the brightest mode drains it in an hour",
        ],
    },
    "rain jacket": {
        "aspects": ["hood", "seams", "pockets", "cuffs"],
        "uses": ["rainy dog walks", "hill walking", "cycling to work"],
        "pros": [
            "I stayed dry through an hour of driving rain",
            "the hood turns with my head instead of blocking my view",
            "it packs into its own pocket",
            "the vents keep me from overheating on climbs",
        ],
        "cons": [
            "the sleeves are a touch short",
            "it rustles loudly with every step",
            "the pockets sit under the hip belt of my pack",
            "the inside feels clammy on humid days",
        ],
    },
    "cutting board": {
        "aspects": ["surface", "juice groove", "edges", "weight"],
        "uses": ["daily cooking", "carving the weekend roast", "chopping herbs"],
        "pros": [
            "it is gentle on my knife edges",
            "the juice groove catches everything",
            "it stays put without a damp cloth underneath",
            "it cleans up well with hot soapy water",
        ],
        "cons": [
            "it warped slightly after a soak",
            "it is too heavy to lift to the sink one handed",
            "the surface scarred quickly",
            "it needs oiling more often than I would like",
        ],
    },
    "keyboard": {
        "aspects": ["switches", "keycaps", "backlight", "wrist rest"],
        "uses": ["writing long reports", "programming at home", "a tidy desk setup"],
        "pros": [
            "typing feels crisp without being noisy",
            "the keycaps have not worn shiny after months",
            "switching between computers takes one key",
            "the layout made the move from a laptop painless",
        ],
        "cons": [
            "the backlight is uneven around the edges",
            "the feet are too short to tilt it much",
            "the space bar rattles",
            "the software for remapping keys is clumsy",
        ],
    },
    "thermos": {
        "aspects": ["lid", "cup", "seal", "body"],
        "uses": ["winter hikes", "long shifts outdoors", "school lunches"],
        "pros": [
            "soup was still steaming at lunchtime",
            "the lid doubles as a sturdy cup",
            "it never leaked when lying sideways in a bag",
            "it survived a tumble down a rocky path",
        ],
        "cons": [
            "the seal is hard to remove for cleaning",
            "the neck is too narrow for a sponge",
            "it holds less than the label suggests",
            "the outer coating scuffs easily",
        ],
    },
    "air purifier": {
        "aspects": ["fan", "filter", "sensor", "night mode"],
        "uses": ["a small bedroom", "pollen season", "a flat near a busy road"],
        "pros": [
            "sneezing in the mornings has noticeably eased",
            "night mode is quiet enough to sleep next to",
            "the air quality light reacts quickly to cooking smoke",
            "changing the filter takes under a minute",
        ],
        "cons": [
            "replacement filters are pricey",
            "the top speed sounds like a hair dryer",
            "the sensor light is too bright at night",
            "it struggles in a large open room",
        ],
    },
    "bookshelf": {
        "aspects": ["shelves", "back panel", "instructions", "finish"],
        "uses": ["a growing book collection", "a child's room", "displaying records"],
        "pros": [
            "the shelves hold heavy hardbacks without sagging",
            "it went together in an evening with no missing parts",
            "the finish looks richer than the photos",
            "the adjustable shelves fit tall art books",
        ],
        "cons": [
            "the back panel is thin card",
            "a few holes did not line up",
            "the diagrams in the instructions are tiny",
            "it needs fixing to the wall to feel stable",
        ],
    },
    "frying pan": {
        "aspects": ["coating", "handle", "base", "weight"],
        "uses": ["weekend pancakes", "quick weeknight dinners", "searing vegetables"],
        "pros": [
            "eggs slide off without any oil",
            "it heats evenly right to the edges",
            "the handle stays cool on the hob",
            "it works on our induction cooker",
        ],
        "cons": [
            "the coating started to dull after a few months",
            "the base warped on high heat",
            "it is too heavy to toss food one handed",
            "the rivets trap grease",
        ],
    },
    "sleeping bag": {
        "aspects": ["zip", "hood", "stuff sack", "lining"],
        "uses": ["spring camping", "sleepovers at relatives", "a hut trip in the mountains"],
        "pros": [
            "I slept warm on a frosty night",
            "it compresses into a surprisingly small sack",
            "the soft lining feels pleasant on bare skin",
            "the hood cinches snugly without a draught",
        ],
        "cons": [
            "the zip catches on the lining",
            "it is narrow around the shoulders",
            "it takes a while to loft after unpacking",
            "the stuff sack is a struggle to close",
        ],
    },
    "laptop stand": {
        "aspects": ["hinge", "height settings", "rubber pads", "frame"],
        "uses": ["working from the kitchen table", "video calls", "a standing desk"],
        "pros": [
            "my screen now sits at eye level",
            "it folds flat enough to slide into a sleeve",
            "the rubber pads stop any sliding",
            "it feels rock solid while typing",
        ],
        "cons": [
            "the lowest setting is still quite high",
            "the hinge needs a firm push to adjust",
            "it scratched the underside of my laptop",
            "it wobbles slightly at full height",
        ],
    },
    "hosepipe": {
        "aspects": ["fittings", "nozzle", "reel", "length"],
        "uses": ["watering the vegetable beds", "washing the car", "a small balcony garden"],
        "pros": [
            "it never kinks when I drag it around corners",
            "the nozzle has a gentle shower setting for seedlings",
            "the fittings clicked on without leaks",
            "it coils back neatly on the reel",
        ],
        "cons": [
            "the nozzle trigger is tiring to hold",
            "it is shorter than advertised",
            "one fitting cracked over the winter",
            "it stiffens in cold weather",
        ],
    },
}

GOOD_ADJ = [
    "sturdy",
    "well made",
    "solid",
    "well thought out",
    "thoughtfully designed",
    "hard wearing",
    "nicely finished",
    "first rate",
]
# How a product is named inside a sentence ("this pair of headphones").
PRODUCT_NOUNS = {"headphones": "pair of headphones", "running shoes": "pair of running shoes"}
SOFTENERS = [
    "which surprised me at this price",
    "even after daily use",
    "better than on my previous one",
    "and shows no wear so far",
    "more than I expected",
    "without any fuss",
]
WHEN = [
    "last spring",
    "a few weeks ago",
    "in January",
    "before a long trip",
    "during a seasonal sale",
    "at the end of summer",
    "right after moving house",
    "on a rainy weekend",
]
REVIEW_OPENERS = [
    "I bought this {product} {when} for {use}.",
    "Picked up the {product} {when} after my old one finally gave out.",
    "We have relied on this {product} for {use} for a few months now.",
    "Ordered the {product} as a gift and ended up keeping it for myself.",
    "My partner chose this {product} for {use}, and I was doubtful at first.",
    "After comparing a dozen options I settled on this {product}.",
    "Needed {a_product} for {use} and this one arrived two days early.",
    "This is my second {product} from the same maker, bought {when}.",
    "I replaced a cheap {product} with this one {when}.",
    "Read the reviews carefully this time before choosing {a_product} for {use}.",
    "Bought on a friend's advice, mainly for {use}.",
    "The {product} came well packed, with almost no plastic in the box.",
]
REVIEW_PROS = [
    "{Pro}.",
    "The {aspect} {feel} {good}, {softener}.",
    "What sold me was the {aspect}, which {is_} {good}.",
    "I was pleased to find that {pro}.",
    "Better still, {pro}.",
    "The {aspect} {is_} {good} and {has} held up well.",
    "Honestly, {pro}, which makes daily use easy.",
]
REVIEW_CONS = [
    "My only complaint is that {con}.",
    "The {aspect} {is_} the weakest part of the design.",
    "Sadly, {con}.",
    "On the downside, {con}.",
    "One thing to know before buying: {con}.",
    "It is not perfect, since {con}.",
]
REVIEW_CLOSERS = {
    5: [
        "Easily worth the money.",
        "I would buy it again without hesitation.",
        "Highly recommended if you need one for {use}.",
        "Five stars from a picky buyer.",
        "It has earned its place in our home.",
    ],
    4: [
        "Solid choice overall.",
        "A couple of small flaws, but good value.",
        "Four stars, and I would still recommend it.",
        "Happy with it for the price.",
    ],
    3: [
        "It does the job and nothing more.",
        "Fine for occasional use.",
        "Middle of the road, honestly.",
        "Worth it only if it goes on sale.",
    ],
    2: [
        "I expected more for the price.",
        "It works, but I regret not spending a little more.",
        "Two stars, mostly for the packaging.",
    ],
    1: [
        "I returned it within a week.",
        "I cannot recommend it.",
        "Look elsewhere if you can.",
    ],
}
AUTHOR_FIRST = [
    "ann", "ben", "carla", "dev", "emre", "fern", "gus", "hana", "ivo", "jude", "kai", "lior",
    "mina", "noor", "oren", "pia", "quin", "rafa", "sol", "tove", "uma", "vik", "wren", "yara",
]  # fmt: skip
AUTHOR_SUFFIX = ["", "_k", "_m", "77", "_r", "_writes", "_j", "42", "_b", "_h"]

# --------------------------------------------------------------------------------------------
# Posts: forum topics.

TOPICS: dict[str, dict[str, list[str]]] = {
    "sourdough": {
        "tags": ["baking", "sourdough"],
        "lines": [
            "My starter doubles in four hours at room temperature but the loaves spread flat.",
            "Does anyone proof the dough overnight in the fridge, and does it change the crumb?",
            "Switching to a wetter dough with a longer bulk ferment finally gave me an open crumb.",
            "A rice flour dusting in the banneton stopped the dough from sticking completely.",
            "I bake in a cast iron pot with the lid on for the first twenty minutes.",
            "The crust turned out pale today, so maybe my oven runs cooler than the dial says.",
            "Feeding the starter with a spoon of rye flour made it noticeably more active.",
            "How long do you let a loaf cool before slicing without the inside turning gummy?",
        ],
    },
    "vegetable garden": {
        "tags": ["gardening", "vegetables"],
        "lines": [
            "Our raised beds produced far more courgettes than two people could ever eat.",
            "Slugs ate every lettuce seedling overnight, even with copper tape around the bed.",
            "Has anyone tried planting marigolds between tomatoes to keep whitefly away?",
            "Mulching with straw kept the soil moist through the dry spell in July.",
            "The climbing beans reached the top of the canes by midsummer.",
            "Should I rotate potatoes to a different bed next year if the leaves showed blight?",
            "Sowing carrots thinly in sandy soil gave us straight roots for the first time.",
            "A cheap rain barrel under the shed gutter now covers most of our watering.",
        ],
    },
    "houseplants": {
        "tags": ["houseplants", "indoor"],
        "lines": [
            "My fiddle leaf fig dropped three leaves after I moved it away from the window.",
            "Bottom watering the calathea seems to have stopped the crispy brown edges.",
            "What potting mix do you use for a monstera that keeps sending out aerial roots?",
            "A small humidifier in the bathroom turned the ferns lush again.",
            "I repotted the snake plant and found the roots had wrapped around the pot twice.",
            "Fungus gnats vanished once I let the top layer of soil dry out between waterings.",
            "Is a north facing windowsill bright enough for a string of pearls?",
            "Propagating pothos cuttings in a jar of water worked faster than I expected.",
        ],
    },
    "bike commuting": {
        "tags": ["cycling", "commuting"],
        "lines": [
            "Mudguards made a bigger difference to my winter commute than any jacket.",
            "What tyre pressure do you run on cobbled streets without rattling your teeth loose?",
            "I now carry a spare tube and a small pump after walking home twice in one month.",
            "The new protected lane along the river shaved ten minutes off my ride.",
            "My chain kept slipping until I replaced the worn cassette as well.",
            "Panniers changed everything, since my back no longer sweats under a rucksack.",
            "How do you keep fingers warm on frosty mornings without losing grip on the brakes?",
            "Cleaning and oiling the chain every fortnight keeps the gears shifting sweetly.",
        ],
    },
    "trail running": {
        "tags": ["running", "trails"],
        "lines": [
            "The descent on the ridge loop is brutal on the quads after heavy rain.",
            "Poles helped a lot on the steep climbs during my first mountain race.",
            "How much water do you carry for a three hour run in warm weather?",
            "I finally learned to walk the steep sections and finish stronger.",
            "Gaiters kept the grit out of my shoes on the sandy forest trails.",
            "Does anyone else get lost on unmarked trails even with a map on the watch?",
            "Running the same loop weekly showed my climbing pace improving month by month.",
            "A headtorch with a rear red light makes dawn runs far less nerve racking.",
        ],
    },
    "birdwatching": {
        "tags": ["birds", "nature"],
        "lines": [
            "A pair of goldfinches has started visiting the nyjer feeder every morning.",
            "Which binoculars would you suggest for a beginner with glasses?",
            "We counted eleven species during the garden bird count this weekend.",
            "The heron at the canal lock lets people walk surprisingly close.",
            "I keep confusing the calls of chiffchaffs and willow warblers in spring.",
            "Moving the feeder away from the hedge seems to have stopped the sparrowhawk raids.",
            "Is it normal for swifts to leave so early at the end of summer?",
            "A cheap notebook for sightings turned out more useful than any app.",
        ],
    },
    "film photography": {
        "tags": ["photography", "film"],
        "lines": [
            "My first roll through the old rangefinder came back with light leaks on every frame.",
            "Developing monochrome film at home is easier than I feared.",
            "What film stock handles harsh midday sun without blowing out the sky?",
            "Shooting a whole roll at one location taught me to slow down.",
            "The light meter in the camera reads about a stop under, so I compensate.",
            "Scanning negatives with a phone and a light pad works well enough for sharing.",
            "Does pushing a slow film two stops ruin the grain completely?",
            "A lens hood cleared up the flare that ruined half of my beach photos.",
        ],
    },
    "board games": {
        "tags": ["games", "tabletop"],
        "lines": [
            "Our group finally finished the campaign after fourteen evenings around the table.",
            "What cooperative game works well for four players who dislike long rules?",
            "Sleeving the cards was tedious but they survived a spilled drink.",
            "Teaching the game with a short practice round cut our setup arguments in half.",
            "The expansion adds variety but makes each turn drag for new players.",
            "Is there a good two player game that plays in under half an hour?",
            "Small boxes for sorting tokens made setup about twice as fast.",
            "We house ruled the final round to be shorter and nobody misses the old ending.",
        ],
    },
    "knitting": {
        "tags": ["knitting", "crafts"],
        "lines": [
            "My first sweater came out two sizes too large because I skipped the gauge swatch.",
            "Blocking the lace shawl opened the pattern up beautifully.",
            "How do you stop the edges of a scarf from curling in on themselves?",
            "Switching to wooden needles slowed the stitches from sliding off.",
            "I finally learned to pick up a dropped stitch several rows down.",
            "Is merino soft enough for a baby blanket or should I use cotton?",
            "Knitting socks two at a time means I never suffer second sock syndrome.",
            "A row counter on the needle saved me from losing my place in the cable chart.",
        ],
    },
    "aquarium": {
        "tags": ["aquarium", "fishkeeping"],
        "lines": [
            "The cloudy water cleared up after the filter had cycled for three weeks.",
            "How many neon tetras can live comfortably in a sixty litre tank?",
            "Adding floating plants cut the algae on the glass almost overnight.",
            "My shrimp colony doubled after I stopped overfeeding.",
            "Testing the water weekly showed the nitrates creeping up before the fish suffered.",
            "Is driftwood supposed to turn the water the colour of weak tea?",
            "A timer for the light stopped the random algae blooms.",
            "The corydoras are far happier since I swapped gravel for soft sand.",
        ],
    },
    "home repair": {
        "tags": ["diy", "repairs"],
        "lines": [
            "Fixing the dripping tap only needed a new washer and ten minutes.",
            "How do you patch a hole in plasterboard so the repair does not show through paint?",
            "Bleeding the radiators fixed the cold patches at the top of each one.",
            "The sticking door swung freely again after I tightened the top hinge screws.",
            "Resealing around the bath was easier with masking tape along both edges.",
            "What is the best way to quiet a creaky floorboard without lifting the carpet?",
            "Replacing the draught excluder on the front door made the hall noticeably warmer.",
            "A stud finder saved me from drilling into a pipe behind the kitchen wall.",
        ],
    },
    "woodworking": {
        "tags": ["woodworking", "workshop"],
        "lines": [
            "My first dovetail joint was loose, but the second one closed up nicely.",
            "Sharpening the chisels properly changed the whole feel of paring cuts.",
            "Which finish holds up best on an oak table that gets daily use?",
            "Clamping the glued panel overnight kept it flat as it dried.",
            "A simple crosscut sled made every cut on the table saw square.",
            "How do you stop tear out when planing curly maple?",
            "Building a tool wall freed up the whole bench for once.",
            "Sanding through the grits patiently made the walnut glow under oil.",
        ],
    },
    "camping": {
        "tags": ["camping", "outdoors"],
        "lines": [
            "We woke to frost on the tent but the new sleeping mats kept us warm.",
            "What is a good first campsite for a family with two small children?",
            "Cooking a one pot stew on the stove made the rainy evening much better.",
            "Pitching on a slight slope meant we slid to one side all night.",
            "A cheap tarp over the picnic table saved breakfast when the rain came.",
            "How do you keep food away from curious foxes at night?",
            "The stars were so bright away from town that the kids stayed up for hours.",
            "Packing a list laminated on card means we never forget the tent pegs again.",
        ],
    },
    "coffee brewing": {
        "tags": ["coffee", "brewing"],
        "lines": [
            "Dropping the water temperature a few degrees took the bitterness out of my pour over.",
            "What ratio of coffee to water do you use for a cafetiere?",
            "Weighing the beans instead of scooping finally made each cup consistent.",
            "Cold brew steeped overnight tastes sweeter than I expected.",
            "A burr grinder made more difference than the expensive beans.",
            "How fresh do beans need to be before the flavour starts to fade?",
            "Rinsing the paper filter first removed the papery taste.",
            "Blooming the grounds for thirty seconds gave a fuller cup.",
        ],
    },
    "composting": {
        "tags": ["compost", "gardening"],
        "lines": [
            "The heap finally heated up once I added more dry leaves and cardboard.",
            "Is it safe to add citrus peel to a wormery?",
            "Turning the pile every week cut the time to usable compost in half.",
            "A lid on the bin kept the rain from turning everything into sludge.",
            "Our kitchen caddy smells far less since we line it with newspaper.",
            "How do you stop fruit flies swarming around the compost bin in summer?",
            "The worms have multiplied so much that I gave a tub away to a neighbour.",
            "Shredding the autumn leaves first made them break down by spring.",
        ],
    },
    "astronomy": {
        "tags": ["astronomy", "stargazing"],
        "lines": [
            "The rings of the sixth planet showed up clearly through the small refractor tonight.",
            "What magnification is actually useful for viewing the moon?",
            "Letting the telescope cool outside for an hour sharpened the view a lot.",
            "A red torch keeps your night vision while reading the star chart.",
            "We spotted the space station crossing the sky just after sunset.",
            "Is light pollution from the town too strong for seeing galaxies?",
            "Collimating the mirror was fiddly but the stars look like points now.",
            "A reclining garden chair makes meteor showers much more comfortable.",
        ],
    },
    "guitar": {
        "tags": ["music", "guitar"],
        "lines": [
            "The F major chord finally rings clean after three weeks of short daily practice.",
            "How often should I change strings if I play for an hour each day?",
            "Lowering the action at the shop made the guitar far easier to play.",
            "Practising with a metronome exposed how much I rush the chorus.",
            "My fingertips stopped hurting once the calluses formed.",
            "Is it worth learning to read notation or should I stick to tabs?",
            "Recording myself showed that my strumming is louder on the downstrokes.",
            "A capo opened up songs that were outside my vocal range.",
        ],
    },
    "chess": {
        "tags": ["chess", "games"],
        "lines": [
            "Studying simple endgames won me more games than memorising openings.",
            "How do you stop blundering pieces when you are short on time?",
            "Our club's Friday rapid evening has doubled in size this year.",
            "Reviewing my losses without an engine first taught me the most.",
            "Puzzles every morning sharpened my tactics within a month.",
            "Which opening suits a beginner who likes quiet positional games?",
            "Playing slower games online made me think before every move.",
            "I finally converted a rook endgame that I would have drawn last year.",
        ],
    },
}
POST_OPENERS = [
    "Quick question for the group.",
    "Long time reader, first post here.",
    "Sharing a small win from this week.",
    "Hoping someone here has run into this before.",
    "Not sure if this belongs in this thread, but here goes.",
    "Update on what I asked about last month.",
    "A tip that saved me a lot of time.",
    "Been thinking about this all weekend.",
    "Posting this in case it helps a beginner.",
    "Mixed results this time, so I would love some input.",
    "Something I wish I had known when I started.",
    "Small progress report from our household.",
    "Newcomer here, be gentle.",
    "Here is what finally worked for me.",
]
POST_CLOSERS = [
    "Thanks in advance for any ideas.",
    "Happy to answer questions if anyone is curious.",
    "Would love to hear how others handle this.",
    "Cheers, and have a good week.",
    "Any pointers are welcome.",
    "I will report back once I have tried it.",
    "Hope this helps someone.",
    "Let me know if I missed anything obvious.",
    "Thanks to everyone who replied last time.",
    "Curious whether this matches your experience.",
]
HANDLE_A = [
    "quiet", "maple", "north", "river", "amber", "cedar", "misty", "sunny", "stone", "little",
    "copper", "meadow",
]  # fmt: skip
HANDLE_B = [
    "fern", "otter", "finch", "kettle", "lantern", "badger", "heron", "pebble", "sparrow",
    "willow", "bramble", "thimble",
]  # fmt: skip

# --------------------------------------------------------------------------------------------
# Pages: article topics and sentence templates.

PAGE_TOPICS: list[dict[str, Any]] = [
    {
        "slug": "community-orchard-harvest",
        "title": "Community orchard brings in its biggest apple harvest",
        "subject": "the community orchard",
        "group": "volunteers",
        "place": "the old allotment field",
        "tool": "pruning saws",
        "problem": "late frost damaged the blossom on the youngest trees",
        "outcome": "crates of apples were pressed into juice for the school kitchen",
        "details": [
            "Forty heritage varieties now grow in six neat rows, each labelled on a painted slate.",
            "Grafting workshops in late winter taught newcomers to join scion wood to rootstock.",
            "Windfalls go to a local farm, where pigs make short work of the bruised fruit.",
        ],
    },
    {
        "slug": "repair-cafe-first-year",
        "title": "Repair café marks its first year of fixing instead of throwing away",
        "subject": "the repair café",
        "group": "fixers",
        "place": "the library annexe",
        "tool": "soldering irons",
        "problem": "the waiting list grew faster than the number of fixers",
        "outcome": "hundreds of toasters, lamps and radios went home working again",
        "details": [
            "Each visitor sits beside the fixer, so they learn how their appliance actually works.",
            "The most common repair turned out to be a broken fuse hidden inside a plug.",
            "A logbook records every item and whether it left the table mended.",
        ],
    },
    {
        "slug": "river-cleanup-weekend",
        "title": "River cleanup weekend clears two tonnes of rubbish",
        "subject": "the river cleanup",
        "group": "paddlers and walkers",
        "place": "the towpath by the weir",
        "tool": "litter pickers",
        "problem": "high water after storms made the banks unsafe for weeks",
        "outcome": "otters were spotted again below the weir",
        "details": [
            "Canoeists reached rubbish snagged in branches that walkers could never touch.",
            "Among the finds were a shopping trolley, three bicycles and a rusted safe.",
            "Sorted waste was weighed on a borrowed scale so the group could track progress.",
        ],
    },
    {
        "slug": "school-bike-workshop",
        "title": "Pupils learn to maintain their own bikes at lunchtime workshop",
        "subject": "the bike workshop",
        "group": "pupils and teachers",
        "place": "the school bike shed",
        "tool": "tyre levers",
        "problem": "donated bikes arrived faster than they could be checked",
        "outcome": "more children now ride to school on bikes they fixed themselves",
        "details": [
            "Pupils start by learning to fix a puncture before moving on to brakes and gears.",
            "Each finished bike passes a safety check signed off by two older students.",
            "Unclaimed bikes are refurbished and given to families who cannot afford one.",
        ],
    },
    {
        "slug": "orchard-volunteer-drive",
        "title": "Hedgerow planting day needs extra hands this winter",
        "subject": "the hedgerow project",
        "group": "local residents",
        "place": "the lane behind the sports field",
        "tool": "spades",
        "problem": "rabbits nibbled many of the first saplings",
        "outcome": "the new hedge already shelters nesting blackbirds",
        "details": [
            "Hawthorn, hazel and field maple are planted in a staggered double row.",
            "Spiral guards protect each whip until it is tall enough to fend for itself.",
            "The finished hedge will link two patches of woodland for small mammals.",
        ],
    },
    {
        "slug": "tool-library-opens",
        "title": "Tool library lets neighbours borrow instead of buy",
        "subject": "the tool library",
        "group": "members",
        "place": "a converted shipping container",
        "tool": "drills and ladders",
        "problem": "some tools came back late or without their parts",
        "outcome": "members saved money and cupboard space at the same time",
        "details": [
            "Membership costs less than a single new drill and lasts a whole year.",
            "A simple barcode system tracks every loan from a shared laptop.",
            "Hedge trimmers and wallpaper steamers are the most requested items by far.",
        ],
    },
    {
        "slug": "night-sky-reserve",
        "title": "Dark sky evenings draw stargazers to the moor",
        "subject": "the stargazing evenings",
        "group": "amateur astronomers",
        "place": "the car park on the moor",
        "tool": "telescopes",
        "problem": "cloudy skies cancelled half of the planned evenings",
        "outcome": "visitors saw the rings of a planet for the first time",
        "details": [
            "Guides use green laser pointers to trace constellations across the sky.",
            "Hot drinks are served from the back of a van to keep the cold at bay.",
            "Children receive a small card showing which stars they found that night.",
        ],
    },
    {
        "slug": "allotment-water-saving",
        "title": "Allotment holders cut water use with shared rain tanks",
        "subject": "the water saving scheme",
        "group": "plot holders",
        "place": "the allotments by the railway",
        "tool": "rain tanks",
        "problem": "a dry spring left the tanks nearly empty by June",
        "outcome": "mains water use on the site fell by almost half",
        "details": [
            "Gutters were fitted to every shed roof and piped into linked tanks.",
            "Plot holders agreed to water in the evening to reduce evaporation.",
            "Wood chip paths keep the soil between beds from drying out.",
        ],
    },
    {
        "slug": "library-seed-swap",
        "title": "Seed swap at the library grows into a spring tradition",
        "subject": "the seed swap",
        "group": "gardeners",
        "place": "the library foyer",
        "tool": "paper envelopes",
        "problem": "some packets were mislabelled and surprised their new owners",
        "outcome": "rare bean varieties are now grown in dozens of gardens",
        "details": [
            "Every packet carries a note on where the seed was saved and how it grew.",
            "Beginners take home a starter set of easy radish, lettuce and nasturtium.",
            "Growers are asked to bring back some saved seed at the next swap.",
        ],
    },
    {
        "slug": "winter-coat-drive",
        "title": "Winter coat drive keeps hundreds warm",
        "subject": "the coat drive",
        "group": "helpers",
        "place": "the community hall",
        "tool": "clothes rails",
        "problem": "children's sizes ran out within the first hour",
        "outcome": "every coat found a new owner before the first snow",
        "details": [
            "Donated coats are checked, cleaned and hung by size on borrowed rails.",
            "Visitors choose their own coat in private rather than being handed one.",
            "Leftover scarves and gloves were passed to the night shelter.",
        ],
    },
    {
        "slug": "pond-restoration",
        "title": "Village pond restored after decades of neglect",
        "subject": "the pond restoration",
        "group": "volunteers in waders",
        "place": "the village green",
        "tool": "rakes",
        "problem": "thick silt had to be removed without harming the newts",
        "outcome": "dragonflies returned within a single summer",
        "details": [
            "Native marginal plants were set in coir rolls along the shallow edge.",
            "A small ramp lets hedgehogs climb out if they tumble in.",
            "Surveys now count frogspawn every March to track the recovery.",
        ],
    },
    {
        "slug": "weaving-workshop",
        "title": "Weaving workshop revives a forgotten local craft",
        "subject": "the weaving workshop",
        "group": "students of all ages",
        "place": "the mill museum",
        "tool": "table looms",
        "problem": "spare parts for the old looms are hard to find",
        "outcome": "students now sell scarves at the museum shop",
        "details": [
            "Learners begin with a simple plain weave before tackling twill.",
            "Wool comes from sheep grazed on the hills above the mill.",
            "Natural dyes from onion skins and walnut husks give warm earthy colours.",
        ],
    },
    {
        "slug": "food-bank-garden",
        "title": "Food bank garden adds fresh vegetables to weekly parcels",
        "subject": "the food bank garden",
        "group": "growers",
        "place": "the disused tennis court",
        "tool": "wheelbarrows",
        "problem": "the tarmac base meant every bed had to be built up from scratch",
        "outcome": "parcels now include greens picked that morning",
        "details": [
            "Raised beds made from pallets sit directly on the old court surface.",
            "Salad leaves and herbs grow fastest and are the most welcomed.",
            "A cooking sheet in each parcel suggests simple recipes for the week's produce.",
        ],
    },
    {
        "slug": "bat-walk-evenings",
        "title": "Evening bat walks reveal hidden residents of the park",
        "subject": "the bat walks",
        "group": "wildlife guides",
        "place": "the park lake",
        "tool": "bat detectors",
        "problem": "warm evenings drew more walkers than the guides could lead",
        "outcome": "four bat species were recorded in a single evening",
        "details": [
            "Detectors turn the high calls of bats into clicks that human ears can hear.",
            "Pipistrelles hunt insects low over the water just after sunset.",
            "Walkers are asked to keep torches off so the bats are not disturbed.",
        ],
    },
    {
        "slug": "reading-buddies",
        "title": "Reading buddies scheme pairs teenagers with young readers",
        "subject": "the reading buddies scheme",
        "group": "teenage volunteers",
        "place": "the primary school library",
        "tool": "picture books",
        "problem": "exam season left fewer teenagers free to help",
        "outcome": "young readers gained confidence reading aloud",
        "details": [
            "Pairs meet for twenty minutes twice a week during the afternoon break.",
            "Buddies keep a shared diary of the books they have finished together.",
            "At the end of term each child chooses a book to keep.",
        ],
    },
    {
        "slug": "street-tree-watering",
        "title": "Neighbours adopt street trees through a hot summer",
        "subject": "the tree adoption scheme",
        "group": "households",
        "place": "the terraced streets near the station",
        "tool": "watering cans",
        "problem": "young trees planted in spring struggled in the heat",
        "outcome": "nearly every adopted tree survived its first summer",
        "details": [
            "Each adopted tree carries a small tag with the name the household gave it.",
            "A bucket of water twice a week is enough to keep a sapling alive in a drought.",
            "Some residents planted bulbs and wildflowers in the pits around the trunks.",
        ],
    },
    {
        "slug": "town-clock-restoration",
        "title": "Town hall clock ticks again after volunteers restore its works",
        "subject": "the clock restoration",
        "group": "volunteer engineers",
        "place": "the town hall tower",
        "tool": "gear pullers",
        "problem": "decades of pigeon droppings had to be cleared before any work began",
        "outcome": "the bell now strikes the hour across the market square",
        "details": [
            "The original drawings were found rolled up in a cupboard in the council archive.",
            "A replacement pendulum rod was turned by an apprentice at the local college.",
            "The clock is wound once a week by a rota of trained volunteers.",
        ],
    },
    {
        "slug": "canal-boat-trips",
        "title": "Accessible canal boat trips launch for the summer",
        "subject": "the canal boat trips",
        "group": "crew volunteers",
        "place": "the canal basin",
        "tool": "lock keys",
        "problem": "a broken lock gate closed the route for a month",
        "outcome": "wheelchair users enjoyed trips that were impossible before",
        "details": [
            "The boat has a lift at the stern so wheelchairs can board easily.",
            "Crew members train for a season before they are allowed to steer.",
            "Trips pass under old stone bridges and through two flights of locks.",
        ],
    },
    {
        "slug": "choir-for-everyone",
        "title": "A choir for people who think they cannot sing",
        "subject": "the open choir",
        "group": "singers",
        "place": "the church hall",
        "tool": "song sheets",
        "problem": "the hall's old heating struggled through the winter rehearsals",
        "outcome": "the choir gave its first public concert to a full room",
        "details": [
            "There are no auditions, and nobody is asked to sing alone.",
            "Songs are taught by ear, so reading music is never required.",
            "Rehearsals end with tea and a chance to chat for those who want it.",
        ],
    },
    {
        "slug": "wildflower-verges",
        "title": "Roadside verges bloom after mowing changes",
        "subject": "the verge project",
        "group": "residents and council staff",
        "place": "the verges along the bypass",
        "tool": "scythes",
        "problem": "some drivers complained the verges looked untidy",
        "outcome": "orchids appeared on a verge for the first time in living memory",
        "details": [
            "Mowing now happens once in late summer after flowers have set seed.",
            "Cuttings are raked off so the soil stays poor enough for wildflowers.",
            "Small signs explain that the long grass is deliberate.",
        ],
    },
    {
        "slug": "youth-radio-station",
        "title": "Teenagers run their own community radio show",
        "subject": "the youth radio show",
        "group": "young presenters",
        "place": "the studio above the arts centre",
        "tool": "microphones",
        "problem": "the old mixing desk failed in the middle of a live show",
        "outcome": "listeners from across the district tune in each week",
        "details": [
            "Presenters plan each show together, from music choices to interview questions.",
            "Every new presenter shadows two shows before going on air.",
            "Recordings are kept so that presenters can review and improve.",
        ],
    },
    {
        "slug": "beach-dune-fencing",
        "title": "Dune fencing helps the beach recover from winter storms",
        "subject": "the dune project",
        "group": "coastal volunteers",
        "place": "the north beach",
        "tool": "chestnut paling",
        "problem": "spring tides washed away part of the first fence",
        "outcome": "marram grass is spreading over the rebuilt dunes",
        "details": [
            "The fences trap blowing sand, slowly building the dunes back up.",
            "Marram grass roots bind the sand once the dunes reach a certain height.",
            "Visitors are asked to use boardwalks rather than cutting across the dunes.",
        ],
    },
    {
        "slug": "language-cafe",
        "title": "Language café helps newcomers and locals practise together",
        "subject": "the language café",
        "group": "hosts",
        "place": "the café on the high street",
        "tool": "conversation cards",
        "problem": "tables filled up so quickly that some people were turned away",
        "outcome": "friendships formed across many different languages",
        "details": [
            "Each table focuses on one language, with a host to keep conversation flowing.",
            "Cards with simple prompts help beginners start talking straight away.",
            "Sessions switch language halfway so everyone gets to teach and to learn.",
        ],
    },
    {
        "slug": "skatepark-build",
        "title": "Skaters help design and build a new park",
        "subject": "the skatepark build",
        "group": "skaters and their parents",
        "place": "the corner of the recreation ground",
        "tool": "concrete floats",
        "problem": "heavy rain delayed the concrete pour by a fortnight",
        "outcome": "the park is busy from after school until dusk",
        "details": [
            "Young skaters drew the first sketches of the bowl and rails.",
            "A specialist builder trained volunteers to finish the concrete smoothly.",
            "Older skaters run free sessions for beginners every Saturday morning.",
        ],
    },
]

PAGE_SECTIONS: list[list[str]] = [
    [
        "When {group} first gathered at {place}, few people expected {subject} to become "
        "a weekly fixture.",
        "{Subject} started as a modest idea written on the back of a newsletter.",
        "This {season}, {subject} drew more people than in any previous year.",
        "Ask anyone involved and they will say that {subject} is less about {tool} than about "
        "the people who turn up.",
        "The idea behind {subject} is simple: share what you know, borrow what you need, and "
        "leave {place} a little better.",
    ],
    [
        "The first season was rough, mostly because {problem}.",
        "Early on, {group} relied on donated {tool} and a handful of borrowed tables.",
        "Records kept in a battered notebook show that only a few people came to the opening "
        "session.",
        "Over the following years the group learned that planning ahead matters more than "
        "enthusiasm.",
        "A small grant paid for storage, signage and a second set of {tool}.",
    ],
    [
        "Sessions begin with a short safety briefing, followed by a round of introductions.",
        "Newcomers are paired with someone experienced, so nobody is left guessing what to do "
        "next.",
        "Most of the work happens in small teams of three or four, which keeps conversations "
        "going.",
        "Everything used on the day, from {tool} to tea mugs, is logged and put away afterwards.",
        "Organisers keep a simple rota on a whiteboard near the entrance of {place}.",
    ],
    [
        "Not everything has gone smoothly, and the organisers are candid about the setbacks.",
        "Weather remains the biggest unknown, and several sessions this {season} were cut short.",
        "Finding helpers for weekday mornings is still difficult, according to the organisers.",
        "Storage is another headache, since {place} has little room for {tool}.",
    ],
    [
        "The results are easy to see: {outcome}.",
        "Participants say the best part is meeting neighbours they had passed for years without "
        "speaking.",
        "Several regulars now run sessions of their own in nearby neighbourhoods.",
        "Local schools have started sending classes to watch and help.",
    ],
    [
        "Next {season}, {group} hope to extend opening hours and try a few evening sessions.",
        "Anyone curious can simply turn up, and no experience or equipment is needed.",
        "Plans for the coming year include a lending shelf of {tool} and a small open day.",
        "The organisers are also collecting stories from long-time participants for a short "
        "booklet.",
    ],
]
SEASONS = ["spring", "summer", "autumn", "winter"]
FOOTER_LINKS = ["Privacy policy", "Terms of use", "Accessibility", "Contact us"]
NAV_LINKS = ["Home", "News", "Events", "Projects", "Volunteer", "About us", "Contact"]

# --------------------------------------------------------------------------------------------
# Planted text. Values are fictional: documentation IP ranges, example.* domains, card test
# numbers, the standard IBAN examples, 555-01xx and Ofcom drama phone numbers.

CARD_VISA = group_digits(luhn_complete("411111111111111"), " ")
CARD_MASTERCARD = group_digits(luhn_complete("555555555555444"), "-")
IBAN_GB = iban_complete("GB", "WEST12345698765432")
IBAN_DE = iban_complete("DE", "370400440532013000")

PII_REVIEWS = [
    (
        "EMAIL_ADDRESS",
        "jordan.pike@example.com",
        "backpack",
        "When a strap arrived torn I wrote to jordan.pike@example.com and a replacement "
        "came within three days.",
    ),
    (
        "PHONE_NUMBER",
        "+44 20 7946 0958",
        "headphones",
        "The repair centre answered on +44 20 7946 0958 and talked me through a full reset "
        "in five minutes.",
    ),
    (
        "CREDIT_CARD",
        CARD_VISA,
        "toaster",
        f"Careful at checkout, the shop printed my card number {CARD_VISA} in full on the "
        "emailed receipt.",
    ),
    (
        "IBAN_CODE",
        IBAN_GB,
        "office chair",
        f"The seller asked me to pay the deposit by bank transfer to {IBAN_GB}, which felt "
        "unusual for a chair.",
    ),
    (
        "US_SSN",
        "536-22-8147",
        "keyboard",
        "The warranty form oddly asked for my social security number, and I almost typed "
        "536-22-8147 before noticing it was optional.",
    ),
    (
        "PERSON",
        "Margaret Okafor",
        "running shoes",
        "Ask for Margaret Okafor at the front desk of the shop, she measured my feet properly "
        "and was very patient.",
    ),
]
PII_POSTS = [
    (
        "EMAIL_ADDRESS",
        "lena.hartwell@example.net",
        "vegetable garden",
        "If anyone wants my spreadsheet of sowing dates, email me at lena.hartwell@example.net "
        "and I will send it over.",
    ),
    (
        "PHONE_NUMBER",
        "(415) 555-0134",
        "chess",
        "Our club meets on Thursday evenings, so call the clubhouse at (415) 555-0134 if you "
        "need directions.",
    ),
    (
        "PHONE_NUMBER",
        "+1 212-555-0187",
        "astronomy",
        "You can text the group organiser on +1 212-555-0187 to borrow the spare telescope "
        "for a weekend.",
    ),
    (
        "CREDIT_CARD",
        CARD_MASTERCARD,
        "board games",
        f"Someone pasted their card number {CARD_MASTERCARD} into the group chat by mistake, "
        "so please delete it if you saw it.",
    ),
    (
        "IP_ADDRESS",
        "192.0.2.146",
        "birdwatching",
        "The nest camera's settings page lives at 192.0.2.146 on my home network, so check "
        "the router if you cannot find yours.",
    ),
    (
        "IP_ADDRESS",
        "2001:db8:85a3::8a2e:370:7334",
        "birdwatching",
        "After the firmware update the feeder camera only answered on its address "
        "2001:db8:85a3::8a2e:370:7334, which confused me for an hour.",
    ),
    (
        "IBAN_CODE",
        IBAN_DE,
        "bike commuting",
        f"Membership fees for the cycling club go to the account {IBAN_DE}, please add your "
        "username as the reference.",
    ),
    (
        "US_SSN",
        "418-76-2093",
        "home repair",
        "Do not do what I did and read out your social security number 418-76-2093 on a live "
        "stream while filling in forms.",
    ),
    (
        "PERSON",
        "Tobias Lindqvist",
        "bike commuting",
        "Huge thanks to Tobias Lindqvist, who showed our group how to true a wheel with "
        "nothing but a spoke key.",
    ),
]
PII_PAGES = [
    (
        "EMAIL_ADDRESS",
        "orchard.volunteers@example.org",
        "community-orchard-harvest",
        "Anyone who wants to help with next year's pruning can write to "
        "orchard.volunteers@example.org before the end of the month.",
    ),
    (
        "PERSON",
        "Priya Raghunathan",
        "weaving-workshop",
        "The workshop is led by Priya Raghunathan, who has restored looms for over twenty years.",
    ),
]

TOXIC_REVIEWS = [
    "Whoever designed this kettle is a fucking moron, and the seller is a lying piece of shit.",
    "To the idiot who wrote the manual: you are a worthless dumbass and your instructions "
    "are shit.",
    "The support agent was a rude bitch and the whole company can go fuck themselves.",
    "Shut up, you pathetic asshole, nobody cares about your fake five star reviews.",
    "You stupid fucking clown, this blender broke in a day and you knew it.",
    "Dear seller, you are a greedy bastard and a fucking fraud, and your shop is shit.",
]
TOXIC_POSTS = [
    "You are a brainless fucking idiot and everyone on this forum is sick of your shit.",
    "Go fuck yourself, you smug little prick, your advice ruined my tomatoes.",
    "Nobody asked for your opinion, you dumb cunt, so shut the fuck up.",
    "What a pathetic loser you are, posting this garbage, you absolute shithead.",
    "The moderators here are spineless assholes and the admin is a fucking joke.",
    "Listen, dickhead, learn to read before you post your crap again, you fucking idiot.",
]

IDENTITY_REVIEWS = [
    (
        "desk lamp",
        "Our book club welcomes gay and straight readers alike, and this lamp keeps the "
        "reading corner bright.",
    ),
    (
        "running shoes",
        "A transgender friend from my running club recommended these shoes and they fit my "
        "wide feet perfectly.",
    ),
    (
        "frying pan",
        "My asian grandmother taught me to make scallion pancakes, and this pan crisps them "
        "just like hers.",
    ),
    (
        "tent",
        "The latino families on our street organise a summer campout, and this tent fit "
        "all four of our kids.",
    ),
]
IDENTITY_POSTS = [
    "My lesbian neighbours lent us their ladder and showed us how to clear the gutter.",
    "The queer choir in our town sang at the garden opening and everyone stayed for tea.",
    "Our muslim neighbours invited us to share dates and soup after sunset, and we brought "
    "a lemon cake.",
    "The jewish community centre hosts a free chess evening every Tuesday for all ages.",
    "Christian volunteers from the church down the road helped plant forty trees along the "
    "canal path.",
    "Several black farmers at the market shared their tips on growing okra in cooler climates.",
    "A deaf member of our hiking group taught everyone a few signs for trail directions.",
    "Older people in our knitting circle are the fastest at rescuing dropped stitches.",
    "Elderly residents at the care home loved the bird feeder we built with the kids.",
    "An immigrant family opened a bakery nearby and their rye bread is the best I have tasted.",
]

NON_ENGLISH_POSTS = [
    (
        "fr",
        "sourdough",
        "Bonjour à tous, je cherche des conseils pour faire lever une pâte à pain quand la "
        "cuisine reste froide en hiver.",
    ),
    (
        "de",
        "bike commuting",
        "Hallo zusammen, ich habe am Wochenende mein altes Fahrrad repariert und fahre jetzt "
        "jeden Tag damit zur Arbeit.",
    ),
    (
        "es",
        "vegetable garden",
        "Hola a todos, este año plantamos tomates y pimientos en el balcón y la cosecha fue "
        "mucho mejor de lo esperado.",
    ),
    (
        "it",
        "houseplants",
        "Ciao a tutti, qualcuno sa come mantenere il basilico rigoglioso in vaso quando le "
        "giornate diventano più corte?",
    ),
    (
        "pt",
        "coffee brewing",
        "Olá pessoal, comecei a fazer café coado em casa e gostaria de saber qual moagem "
        "vocês recomendam para o filtro de papel.",
    ),
    (
        "nl",
        "vegetable garden",
        "Hallo allemaal, wij hebben vorige maand een moestuin aangelegd en de eerste "
        "radijsjes zijn al bijna klaar om te oogsten.",
    ),
]
NON_ENGLISH_REVIEWS = [
    (
        "fr",
        "kettle",
        "Cette bouilloire chauffe l'eau très rapidement et le couvercle ferme bien, je suis "
        "vraiment satisfait de mon achat.",
    ),
    (
        "it",
        "backpack",
        "Lo zaino è comodo anche dopo molte ore di cammino, le cerniere sono robuste e le "
        "tasche sono ben pensate.",
    ),
]

SEARCH_TARGETS = [
    {
        "file": "posts.jsonl",
        "topic": "home repair",
        "text": "During last week's gale the old keeper of our harbour lighthouse climbed the "
        "tower at midnight and rewired the foghorn compressor by lantern light so the fishing "
        "boats could find the channel.",
        "query": "person maintaining a coastal beacon fixed the fog signal in bad weather",
    },
    {
        "file": "reviews.csv",
        "product": "beekeeping veil",
        "text": "I wore this mesh veil when a swarm of bees settled inside the bell tower of our "
        "village chapel, and I coaxed the whole colony into a cardboard box without a single "
        "sting.",
        "query": "protective face netting used while relocating insects from a church steeple",
    },
    {
        "file": "posts.jsonl",
        "topic": "film photography",
        "text": "My grandfather, a retired surveyor, spends his evenings drawing ink maps of the "
        "flooded limestone caves beneath the valley, tracing every underground stream he "
        "explored as a young man.",
        "query": "elderly mapmaker sketches subterranean waterways from memory",
    },
    {
        "file": "reviews.csv",
        "product": "field notebook",
        "text": "I filled this waterproof notebook with sketches of the rare orchids we found on "
        "an abandoned railway embankment, and the pages survived a week of drizzle.",
        "query": "weatherproof journal full of drawings of unusual wild flowers growing beside a "
        "disused train line",
    },
]

# Near duplicates: (file, original text, list of (old, new) edits). The edited copy keeps the
# original's meaning; Jaccard over word 3-shingles is recorded in planted.json.
NEAR_DUPLICATES = [
    (
        "reviews.csv",
        "headphones",
        "These headphones have become my daily companion on the commuter train. The cushions "
        "stay comfortable for a full morning, the battery lasts most of the week, and the "
        "folding hinge still feels tight after months of being thrown into a crowded bag.",
        [("crowded bag", "crowded rucksack")],
    ),
    (
        "reviews.csv",
        "tent",
        "We took this tent on a wet fortnight along the coast and it never let in a drop. "
        "Pitching takes two people about ten minutes, the porch swallows both packs and our "
        "boots, and it packs away into a bag that fits under a bike saddle.",
        [("about ten", "roughly ten")],
    ),
    (
        "reviews.csv",
        "coffee grinder",
        "I was skeptical that a hand grinder could beat my electric one, but the grind is far "
        "more even and the coffee tastes brighter. It takes about a minute of cranking for "
        "two cups, which has become a calm part of my morning routine.",
        [
            ("far more even", "much more even"),
            ("calm part", "relaxing part"),
            ("two cups", "two mugs"),
        ],
    ),
    (
        "reviews.csv",
        "rain jacket",
        "This jacket kept me dry through a full day of hill walking in steady rain, and the "
        "hood stays put in strong wind. The pit zips are a lifesaver on long climbs, though "
        "the sleeves run a little short for people with long arms.",
        [
            ("stays put", "stays in place"),
            ("run a little", "are a bit"),
        ],
    ),
    (
        "posts.jsonl",
        "sourdough",
        "After months of flat loaves I finally got a tall sourdough with an open crumb. The "
        "changes that mattered were a stronger flour, a longer bulk ferment in a warm spot, "
        "and shaping with more surface tension before the overnight rest in the fridge.",
        [("tall sourdough", "tall, proud sourdough")],
    ),
    (
        "posts.jsonl",
        "aquarium",
        "Our sixty litre tank finally looks settled after a rocky start with cloudy water. "
        "We added more plants, cut feeding to once a day, and changed a fifth of the water "
        "every Sunday, and now the tetras school happily near the front glass.",
        [("once a day", "once daily"), ("happily", "calmly")],
    ),
    (
        "posts.jsonl",
        "woodworking",
        "I built my first workbench this winter from reclaimed floor joists and a borrowed "
        "hand plane. It took six weekends, mostly spent flattening the top, but it is solid "
        "enough to chop mortises on and it barely moves when I saw.",
        [
            ("this winter", "over the winter"),
            ("barely moves", "hardly shifts"),
        ],
    ),
    (
        "posts.jsonl",
        "camping",
        "We camped by the lake for three nights with the children and it rained on every "
        "single one of them. Still, the tarp kept the cooking area dry, the kids loved "
        "splashing in puddles, and nobody wanted to go home on the last morning.",
        [("three nights", "three whole nights")],
    ),
    (
        "posts.jsonl",
        "chess",
        "Our club started a beginners table on Friday nights and it has been a big success. "
        "Experienced players take turns explaining simple tactics, newcomers play short "
        "games against each other, and everybody reviews one game together before we pack "
        "up.",
        [("big success", "huge hit"), ("short games", "quick games"), ("pack up", "head home")],
    ),
    (
        "reviews.csv",
        "hosepipe",
        "This hosepipe replaced one that kinked every time I walked around the greenhouse. It "
        "drags easily across gravel, the shower setting is gentle enough for seedlings, and "
        "after a full season outside the fittings have not leaked once.",
        [("seedlings", "tiny seedlings")],
    ),
]


# --------------------------------------------------------------------------------------------
# Row model.


@dataclass
class Row:
    """One row of reviews.csv or posts.jsonl before ids and line numbers are assigned."""

    text: str
    category: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    raw: bytes | None = None  # pre-rendered line (malformed rows); `{key}` is filled in later
    original: Row | None = None
    case: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    line: int = 0


class CleanPool:
    """Keeps clean texts apart, lexically and in meaning.

    A candidate is rejected when its word 3-shingles overlap an accepted text's by more than
    MAX_CLEAN_JACCARD, or when it shares two or more content parts (product phrases, forum
    lines, opener template) with one: texts built on the same two ideas embed almost identically.
    """

    def __init__(self) -> None:
        self.shingle_sets: list[set[tuple[str, ...]]] = []
        self.signatures: list[frozenset[str]] = []

    def accept(self, text: str, signature: frozenset[str] = frozenset()) -> bool:
        candidate = shingles(text)
        for existing in self.shingle_sets:
            union = len(candidate | existing)
            if union and len(candidate & existing) / union > MAX_CLEAN_JACCARD:
                return False
        if any(len(signature & existing) >= 2 for existing in self.signatures):
            return False
        self.shingle_sets.append(candidate)
        self.signatures.append(signature)
        return True


def capitalize(text: str) -> str:
    return text[0].upper() + text[1:]


def aspect_slots(aspect: str) -> dict[str, str]:
    """The aspect and verb forms that agree with it ("the zips are", "the lid is")."""
    plural = aspect.endswith("s") and not aspect.endswith("ss")
    return {
        "aspect": aspect,
        "is_": "are" if plural else "is",
        "has": "have" if plural else "has",
        "feel": "feel" if plural else "feels",
    }


def make_review(rng: random.Random) -> tuple[str, int, str, frozenset[str]]:
    """Return (product, rating, review text, content signature) assembled from the templates."""
    product = rng.choice(list(PRODUCTS))
    info = PRODUCTS[product]
    rating = rng.choices([5, 4, 3, 2, 1], weights=[35, 30, 15, 10, 10])[0]
    n_pros = {5: rng.randint(1, 2), 4: rng.randint(1, 2), 3: 1, 2: rng.randint(0, 1), 1: 0}[rating]
    n_cons = {5: 0, 4: rng.randint(0, 1), 3: 1, 2: rng.randint(1, 2), 1: rng.randint(1, 2)}[rating]
    noun = PRODUCT_NOUNS.get(product, product)
    slots = {
        "product": noun,
        "a_product": ("an " if noun[0] in "aeiou" else "a ") + noun,
        "use": rng.choice(info["uses"]),
        "when": rng.choice(WHEN),
        "good": rng.choice(GOOD_ADJ),
        "softener": rng.choice(SOFTENERS),
    }
    sentences = []
    signature = set()
    if rng.random() < 0.8:
        opener = rng.choice(REVIEW_OPENERS)
        sentences.append(opener.format(**slots))
        signature.add(f"{product}/{opener}")
    pros = rng.sample(info["pros"], n_pros)
    for template, pro in zip(rng.sample(REVIEW_PROS, n_pros), pros, strict=True):
        aspect = aspect_slots(rng.choice(info["aspects"]))
        sentences.append(template.format(Pro=capitalize(pro), pro=pro, **aspect, **slots))
    cons = rng.sample(info["cons"], n_cons)
    for template, con in zip(rng.sample(REVIEW_CONS, n_cons), cons, strict=True):
        aspect = aspect_slots(rng.choice(info["aspects"]))
        sentences.append(template.format(con=con, **aspect, **slots))
    if rng.random() < 0.75 or len(sentences) < 2:
        sentences.append(rng.choice(REVIEW_CLOSERS[rating]).format(**slots))
    return product, rating, " ".join(sentences), frozenset(signature | set(pros) | set(cons))


def make_post(rng: random.Random) -> tuple[str, str, frozenset[str]]:
    """Return (topic, post body, content signature) assembled from the templates."""
    topic = rng.choice(list(TOPICS))
    lines = rng.sample(TOPICS[topic]["lines"], rng.choice([2, 2, 2, 3]))
    sentences = []
    if rng.random() < 0.7:
        sentences.append(rng.choice(POST_OPENERS))
    sentences.extend(lines)
    if rng.random() < 0.7 or len(" ".join(sentences).split()) < 10:
        sentences.append(rng.choice(POST_CLOSERS))
    return topic, " ".join(sentences), frozenset(lines)


def review_author(rng: random.Random) -> str:
    return rng.choice(AUTHOR_FIRST) + rng.choice(AUTHOR_SUFFIX)


def post_author(rng: random.Random) -> str:
    return f"{rng.choice(HANDLE_A)}_{rng.choice(HANDLE_B)}{rng.randint(1, 99)}"


def clean_reviews(rng: random.Random, pool: CleanPool, count: int) -> list[Row]:
    rows: list[Row] = []
    while len(rows) < count:
        product, rating, text, signature = make_review(rng)
        if 8 <= len(text.split()) <= 60 and pool.accept(text, signature):
            fields = {"product": product, "rating": str(rating), "author": review_author(rng)}
            rows.append(Row(text=text, fields=fields))
    return rows


def clean_posts(rng: random.Random, pool: CleanPool, count: int) -> list[Row]:
    rows: list[Row] = []
    while len(rows) < count:
        topic, text, signature = make_post(rng)
        if 10 <= len(text.split()) <= 80 and pool.accept(text, signature):
            fields = {"lang": "en", "author": post_author(rng), "tags": TOPICS[topic]["tags"]}
            rows.append(Row(text=text, fields=fields))
    return rows


def oversize_text(rng: random.Random) -> str:
    """About 1 MB of clean generated words, on one line, without commas or quotes."""
    vocabulary = sorted({w for info in PRODUCTS.values() for p in info["pros"] for w in p.split()})
    parts: list[str] = []
    length = 0
    while length < OVERSIZE_CHARS:
        sentence = capitalize(" ".join(rng.choice(vocabulary) for _ in range(12))) + "."
        parts.append(sentence)
        length += len(sentence) + 1
    return " ".join(parts)


def shout_and_space(rng: random.Random, text: str) -> str:
    """Change letter case and runs of whitespace only, for `normalized_duplicate`."""
    out = [token.upper() if rng.random() < 0.3 else token.lower() for token in text.split(" ")]
    glue = [rng.choice([" ", "  ", "   ", " \t "]) for _ in out[1:]]
    return out[0] + "".join(g + t for g, t in zip(glue, out[1:], strict=True)) + "  "


def apply_edits(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        if old not in text:
            raise ValueError(f"near-duplicate edit {old!r} not found")
        text = text.replace(old, new, 1)
    return text


def insert_after(rng: random.Random, rows: list[Row], row: Row, after: Row | None) -> None:
    """Insert `row` at a random position, strictly after `after` when given."""
    start = rows.index(after) + 1 if after is not None else 0
    rows.insert(rng.randint(start, len(rows)), row)


# --------------------------------------------------------------------------------------------
# Building the two row files.


def build_reviews(rng: random.Random, pool: CleanPool) -> list[Row]:
    near_rows = [
        Row(text=text, fields={"product": product, "rating": "5", "author": review_author(rng)})
        for file, product, text, _ in NEAR_DUPLICATES
        if file == "reviews.csv"
    ]
    for row in near_rows:
        if not pool.accept(row.text):
            raise ValueError("near-duplicate original collides with a clean row")
    rows = clean_reviews(rng, pool, CLEAN_REVIEWS)
    for row in near_rows:
        insert_after(rng, rows, row, None)
    originals = list(rows)

    def planted(category: str, text: str, **fields: str) -> Row:
        defaults = {
            "product": rng.choice(list(PRODUCTS)),
            "rating": str(rng.randint(1, 5)),
            "author": review_author(rng),
        }
        return Row(text=text, category=category, fields={**defaults, **fields})

    new: list[tuple[Row, Row | None]] = []
    candidates = [r for r in originals if r not in near_rows and len(r.text.split()) >= 10]
    sources = rng.sample(candidates, 4)
    for source in sources[:3]:
        row = planted("exact_duplicate", source.text, product=source.fields["product"])
        new.append((row, source))
    source = sources[3]
    new.append((planted("normalized_duplicate", shout_and_space(rng, source.text)), source))
    for near_row, (_, product, _, edits) in zip(
        near_rows, [n for n in NEAR_DUPLICATES if n[0] == "reviews.csv"], strict=True
    ):
        new.append(
            (
                planted("near_duplicate", apply_edits(near_row.text, edits), product=product),
                near_row,
            )
        )
    for entity, value, product, text in PII_REVIEWS:
        row = planted("pii", text, product=product)
        row.case = {"entity": entity, "value": value}
        new.append((row, None))
    for text in TOXIC_REVIEWS:
        new.append((planted("toxic", text, rating="1"), None))
    for product, text in IDENTITY_REVIEWS:
        new.append((planted("identity_neutral", text, product=product, rating="5"), None))
    for lang, product, text in NON_ENGLISH_REVIEWS:
        row = planted("non_english", text, product=product, rating="5")
        row.case = {"lang": lang}
        new.append((row, None))
    for target in SEARCH_TARGETS:
        if target["file"] == "reviews.csv":
            row = planted("search_target", target["text"], product=target["product"], rating="5")
            row.case = {"query": target["query"]}
            new.append((row, None))
    new.extend((row, None) for row in malformed_reviews(rng))
    for row, original in new:
        row.original = original
        insert_after(rng, rows, row, original)
    return rows


def malformed_reviews(rng: random.Random) -> list[Row]:
    """Rows whose raw bytes break CSV or UTF-8; `{key}` is replaced once ids are known."""
    author = review_author
    specs = [
        ("bad_quoting", b'{key},kettle,4,"great "value" for the price",' + author(rng).encode(),
         "quote inside a quoted field is not doubled; even quote count, one physical line"),
        ("bad_quoting", b'{key},umbrella,3,"the so called "storm proof" frame bent",'
         + author(rng).encode(), "quote inside a quoted field is not doubled"),
        ("field_count", b"{key},desk lamp,5,Bright and steady, easy to angle, good value,"
         + author(rng).encode(), "unquoted commas in the review: 7 fields instead of 5"),
        ("field_count", b"{key},toaster,2", "only 3 fields instead of 5"),
        ("invalid_utf8", b"{key},thermos,4,Keeps tea hot but the lid \xff\xfe squeaks,"
         + author(rng).encode(), "raw bytes FF FE are not valid UTF-8"),
        ("invalid_utf8", b"{key},blender,3,The caf\xc3 style finish looks great but it is loud,"
         + author(rng).encode(), "truncated two-byte UTF-8 sequence (lone C3)"),
        ("empty_text", b"{key},yoga mat,4,," + author(rng).encode(), "empty review"),
        ("empty_text", b'{key},bookshelf,3,"   ",' + author(rng).encode(),
         "whitespace-only review"),
        ("oversize_text", b"{key},blender,3," + oversize_text(rng).encode() + b","
         + author(rng).encode(), f"review of {OVERSIZE_CHARS:,}+ characters"),
    ]  # fmt: skip
    return [
        Row(text="", category=category, raw=raw, case={"note": note})
        for category, raw, note in specs
    ]


def build_posts(rng: random.Random, pool: CleanPool, reviews: list[Row]) -> list[Row]:
    near = [n for n in NEAR_DUPLICATES if n[0] == "posts.jsonl"]
    near_rows = [
        Row(
            text=text,
            fields={"lang": "en", "author": post_author(rng), "tags": TOPICS[topic]["tags"]},
        )
        for _, topic, text, _ in near
    ]
    for row in near_rows:
        if not pool.accept(row.text):
            raise ValueError("near-duplicate original collides with a clean row")
    rows = clean_posts(rng, pool, CLEAN_POSTS)
    for row in near_rows:
        insert_after(rng, rows, row, None)
    originals = list(rows)

    def planted(category: str, text: str, topic: str | None = None, lang: str = "en") -> Row:
        tags = TOPICS[topic]["tags"] if topic else ["general"]
        return Row(
            text=text,
            category=category,
            fields={"lang": lang, "author": post_author(rng), "tags": tags},
        )

    new: list[tuple[Row, Row | None]] = []
    sources = rng.sample([r for r in originals if r not in near_rows], 5)
    for source in sources[:3]:
        new.append((planted("exact_duplicate", source.text), source))
    for source in sources[3:]:
        new.append((planted("normalized_duplicate", shout_and_space(rng, source.text)), source))
    used = {id(r.original) for r in reviews if r.original is not None}
    review_sources = [
        r
        for r in reviews
        if r.category is None and id(r) not in used and 10 <= len(r.text.split()) <= 60
    ]
    for source in rng.sample(review_sources, 2):
        new.append((planted("exact_duplicate", source.text), source))
    for near_row, (_, topic, _, edits) in zip(near_rows, near, strict=True):
        new.append((planted("near_duplicate", apply_edits(near_row.text, edits), topic), near_row))
    for entity, value, topic, text in PII_POSTS:
        row = planted("pii", text, topic)
        row.case = {"entity": entity, "value": value}
        new.append((row, None))
    for text in TOXIC_POSTS:
        new.append((planted("toxic", text), None))
    for text in IDENTITY_POSTS:
        new.append((planted("identity_neutral", text), None))
    for lang, topic, text in NON_ENGLISH_POSTS:
        new.append((planted("non_english", text, topic, lang=lang), None))
    for target in SEARCH_TARGETS:
        if target["file"] == "posts.jsonl":
            row = planted("search_target", target["text"], target["topic"])
            row.case = {"query": target["query"]}
            new.append((row, None))
    new.extend((row, None) for row in malformed_posts(rng))
    for row, original in new:
        row.original = original
        # A cross-file duplicate's original lives in reviews.csv, which is read first.
        insert_after(rng, rows, row, original if original in originals else None)
    return rows


def post_json(key: str, body: str, fields: dict[str, Any]) -> str:
    obj = {
        "post_id": key,
        "body": body,
        "lang": fields["lang"],
        "meta": {"author": fields["author"], "tags": fields["tags"]},
    }
    return json.dumps(obj, ensure_ascii=False)


def malformed_posts(rng: random.Random) -> list[Row]:
    """Lines that break JSON or UTF-8 or have an empty body; `{key}` is filled in later."""
    meta = {"lang": "en", "author": post_author(rng), "tags": ["gardening", "vegetables"]}
    complete = post_json("{key}", "Tomatoes finally ripening on the windowsill this week.", meta)
    specs = [
        ("invalid_json", b'{"post_id": "{key}", "body": "Started writing this on my phone and '
         b"the app cut", "truncated object"),
        ("invalid_json", complete.encode() + b' ,"lang": "en"}', "trailing garbage after object"),
        ("invalid_json", b"{'post_id': '{key}', 'body': 'Single quotes are not JSON at all.'}",
         "single-quoted keys and strings"),
        ("invalid_utf8", post_json("{key}", "Picked up seeds for about twelve @@ at the market "
         "today.", meta).encode().replace(b"@@", b"\xe2\x82"),
         "truncated three-byte UTF-8 sequence (E2 82) inside the body"),
        ("empty_text", post_json("{key}", "", meta).encode(), 'empty body ""'),
    ]  # fmt: skip
    return [
        Row(text="", category=category, raw=raw, case={"note": note})
        for category, raw, note in specs
    ]


# --------------------------------------------------------------------------------------------
# Pages.

PAGE_PLANTED: dict[str, tuple[str, dict[str, Any]]] = {
    slug: (text, {"category": "pii", "entity": entity, "value": value})
    for entity, value, slug, text in PII_PAGES
}


def article_paragraphs(rng: random.Random, topic: dict[str, Any], extra: str | None) -> list[str]:
    """3-6 paragraphs of 120-400 words: an intro, the topic's own details, then sections."""
    while True:
        season = rng.choice(SEASONS)
        slots = {
            key: topic[key] for key in ("subject", "group", "place", "tool", "problem", "outcome")
        }
        slots.update(Subject=capitalize(topic["subject"]), season=season)
        n_sections = rng.randint(2, 5)
        sections = [0, *sorted(rng.sample(range(1, len(PAGE_SECTIONS)), n_sections - 1))]
        paragraphs = [
            [
                PAGE_SECTIONS[i][j].format(**slots)
                for j in sorted(rng.sample(range(len(PAGE_SECTIONS[i])), rng.randint(2, 3)))
            ]
            for i in sections
        ]
        details = list(topic["details"]) + ([extra] if extra is not None else [])
        paragraphs.insert(1, details)
        texts = [" ".join(p) for p in paragraphs]
        if 120 <= sum(len(t.split()) for t in texts) <= 400:
            return texts


def render_page(
    topic: dict[str, Any], paragraphs: list[str], date: str, related: list[dict]
) -> str:
    """A full HTML document: the article wrapped in navigation, cookie banner, sidebar, footer."""
    nav = "\n".join(
        f'      <li><a href="https://example.org/{name.lower().replace(" ", "-")}">{name}</a></li>'
        for name in NAV_LINKS
    )
    sidebar = "\n".join(
        f'      <li><a href="https://example.org/articles/{r["slug"]}">{r["title"]}</a></li>'
        for r in related
    )
    body = "\n".join(f"    <p>{p}</p>" for p in paragraphs)
    footer_links = " | ".join(
        f'<a href="https://example.org/{name.lower().replace(" ", "-")}">{name}</a>'
        for name in FOOTER_LINKS
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{topic["title"]} | Commons Bulletin</title>
  <link rel="canonical" href="https://example.org/articles/{topic["slug"]}">
  <meta name="date" content="{date}">
  <meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
  <div id="cookie-banner" class="cookie-banner">
    <p>We use cookies to remember your preferences and to count visits.
    By continuing to browse you accept our cookie policy.</p>
    <button type="button">Accept all</button> <button type="button">Manage settings</button>
  </div>
  <header class="site-header">
    <a class="logo" href="https://example.org/">Commons Bulletin</a>
    <nav class="main-nav"><ul>
{nav}
    </ul></nav>
  </header>
  <main>
  <article>
    <h1>{topic["title"]}</h1>
    <p class="dateline"><time datetime="{date}">{date}</time></p>
{body}
  </article>
  <aside class="sidebar">
    <h2>Related articles</h2>
    <ul>
{sidebar}
    </ul>
    <h2>Newsletter</h2>
    <p>Get the week's stories in your inbox every Friday. Sign up on our newsletter page.</p>
  </aside>
  </main>
  <footer class="site-footer">
    <p>Commons Bulletin is a volunteer-run community news site. All rights reserved.</p>
    <p>{footer_links}</p>
  </footer>
</body>
</html>
"""


def build_pages(rng: random.Random) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Return ({relative path: html}, planted cases found in pages)."""
    pages: dict[str, str] = {}
    cases: list[dict[str, Any]] = []
    for index, topic in enumerate(PAGE_TOPICS[:PAGE_COUNT], start=1):
        extra, case = PAGE_PLANTED.get(topic["slug"], (None, None))
        paragraphs = article_paragraphs(rng, topic, extra)
        date = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"
        related = rng.sample([t for t in PAGE_TOPICS if t is not topic], 3)
        html = render_page(topic, paragraphs, date, related)
        path = f"pages/page-{index:02d}.html"
        pages[path] = html
        if case is not None:
            line = next(n for n, text in enumerate(html.split("\n"), 1) if extra in text)
            cases.append({**case, "file": path, "key": None, "line": line, "text": extra})
    return pages, cases


# --------------------------------------------------------------------------------------------
# Serialising.


def assign_keys(rows: list[Row], prefix: str, first_line: int) -> None:
    for index, row in enumerate(rows):
        row.key = f"{prefix}{index + 1:04d}"
        row.line = first_line + index


def reviews_bytes(rows: list[Row]) -> bytes:
    out = [b"review_id,product,rating,review,author\n"]
    for row in rows:
        if row.raw is not None:
            out.append(row.raw.replace(b"{key}", row.key.encode()) + b"\n")
            continue
        buffer = io.StringIO()
        f = row.fields
        csv.writer(buffer, lineterminator="\n").writerow(
            [row.key, f["product"], f["rating"], row.text, f["author"]]
        )
        out.append(buffer.getvalue().encode())
    return b"".join(out)


def posts_bytes(rows: list[Row]) -> bytes:
    out = []
    for row in rows:
        if row.raw is not None:
            out.append(row.raw.replace(b"{key}", row.key.encode()) + b"\n")
        else:
            out.append(post_json(row.key, row.text, row.fields).encode() + b"\n")
    return b"".join(out)


CATEGORY_ORDER = [
    "exact_duplicate",
    "normalized_duplicate",
    "near_duplicate",
    "pii",
    "toxic",
    "identity_neutral",
    "non_english",
    "search_target",
    "bad_quoting",
    "field_count",
    "invalid_utf8",
    "invalid_json",
    "empty_text",
    "oversize_text",
]
CATEGORY_NOTES = {
    "exact_duplicate": "text repeats an earlier row exactly (`duplicate_of_key`)",
    "normalized_duplicate": "differs from an earlier row only by letter case and whitespace runs",
    "near_duplicate": "light edit of an earlier row; word 3-shingle Jaccard in `jaccard`",
    "pii": "one fictional PII value in a natural sentence (`entity`, `value`)",
    "toxic": "insult with strong profanity aimed at someone",
    "identity_neutral": "friendly text that mentions an identity group",
    "non_english": "French, German, Spanish, Italian, Portuguese or Dutch (`lang`)",
    "search_target": "distinctive sentence; a paraphrased query is in `search`",
    "bad_quoting": "broken CSV quoting on one physical line",
    "field_count": "CSV row with too many or too few fields",
    "invalid_utf8": "raw bytes that are not valid UTF-8",
    "invalid_json": "line that is not valid JSON",
    "empty_text": "empty or whitespace-only text",
    "oversize_text": "text of more than 1 MiB",
}


def row_case(row: Row, file: str) -> dict[str, Any]:
    assert row.category is not None
    case: dict[str, Any] = {
        "category": row.category,
        "file": file,
        "key": row.key,
        "line": row.line,
    }
    note = row.case.get("note", "")
    if row.category == "pii":
        case.update(entity=row.case["entity"], value=row.case["value"])
    if row.original is not None:
        case["duplicate_of_key"] = row.original.key
        case["duplicate_of_file"] = "reviews.csv" if row.original.key.startswith("r") else file
        if row.category == "near_duplicate":
            case["jaccard"] = round(jaccard(row.text, row.original.text), 3)
            case["jaccard_by_shingle_size"] = {
                str(n): round(jaccard(row.text, row.original.text, n), 3) for n in (1, 2, 3, 5)
            }
    if row.category == "non_english":
        case["lang"] = row.case.get("lang") or row.fields["lang"]
    if row.category == "search_target":
        case["query"] = row.case["query"]
    case["note"] = note or CATEGORY_NOTES[row.category]
    return case


def planted_json(
    reviews: list[Row], posts: list[Row], page_cases: list[dict[str, Any]]
) -> dict[str, Any]:
    cases = [row_case(r, "reviews.csv") for r in reviews if r.category is not None]
    cases += [row_case(r, "posts.jsonl") for r in posts if r.category is not None]
    for page_case in page_cases:
        case = {k: v for k, v in page_case.items() if k != "text"}
        case["note"] = CATEGORY_NOTES[case["category"]] + " (in the article text)"
        cases.append(case)
    targets = {t["query"]: t["text"] for t in SEARCH_TARGETS}
    search = [
        {
            "query": c["query"],
            "file": c["file"],
            "key": c["key"],
            "line": c["line"],
            "text": targets[c["query"]],
        }
        for c in cases
        if c["category"] == "search_target"
    ]
    counts = {cat: sum(c["category"] == cat for c in cases) for cat in CATEGORY_ORDER}
    return {"cases": cases, "search": search, "counts": counts}


def readme(planted: dict[str, Any], n_reviews: int, n_posts: int, n_pages: int) -> str:
    rows = []
    for category in CATEGORY_ORDER:
        files: dict[str, int] = {}
        for case in planted["cases"]:
            if case["category"] == category:
                name = "pages/*.html" if case["file"].startswith("pages/") else case["file"]
                files[name] = files.get(name, 0) + 1
        where = ", ".join(f"{name} ({n})" for name, n in files.items())
        rows.append(
            f"| `{category}` | {planted['counts'][category]} | {where} | "
            f"{CATEGORY_NOTES[category]} |"
        )
    table = "\n".join(rows)
    files = "\n".join(
        [
            f"| `reviews.csv` | {n_reviews} data rows (header `review_id,product,rating,review,"
            f"author`) | `review` | {LICENSES['reviews.csv']} |",
            f"| `posts.jsonl` | {n_posts} lines (`post_id`, `body`, `lang`, `meta.author`, "
            f"`meta.tags`) | `body` | {LICENSES['posts.jsonl']} |",
            f"| `pages/page-NN.html` | {n_pages} article pages with navigation, cookie banner, "
            f"sidebar and footer | `<article>` | {LICENSES['pages/*.html']} |",
        ]
    )
    return f"""# Sample corpus

Original synthetic text written for this project: every review, post and article is assembled
by `examples/make_corpus.py` from its own templates and word lists with a fixed random seed
({SEED}). No web content was copied. Names, e-mail addresses, phone numbers, card numbers,
IBANs, IP addresses and social security numbers are fictional (documentation IP ranges,
`example.*` domains, card test numbers, textbook IBANs, 555-01xx and drama-range numbers).

Regenerate (byte-identical output, standard library only, no network):

```
python examples/make_corpus.py            # writes examples/data/
python examples/make_corpus.py --out DIR  # writes elsewhere
```

## Files and licenses

| file | rows | text field | license |
| --- | --- | --- | --- |
{files}
| `planted.json` | every planted case | | cc0-1.0 |

## Planted cases

`planted.json` lists each case with its `category`, `file`, `key` (review_id / post_id, `null`
in pages) and physical 1-based `line`; duplicates carry `duplicate_of_key` (and
`duplicate_of_file`), PII carries `entity` (Presidio type) and `value`. Its `search` list pairs
paraphrased queries with their target rows. All other rows are ordinary clean English text.

| category | count | where | what |
| --- | --- | --- | --- |
{table}

Near-duplicate similarity is the Jaccard index of word 3-shingles (lower-cased
`[a-z0-9']+` tokens); `jaccard_by_shingle_size` also gives it for 1-, 2- and 5-word shingles.
Clean rows were generated so that no two have a 3-shingle Jaccard above {MAX_CLEAN_JACCARD}.
The oversize review makes `reviews.csv` larger than 1 MB; it sits on one physical line.
"""


def generate(out: Path) -> None:
    """(Re)write the corpus under `out`."""
    rng = random.Random(SEED)
    pool = CleanPool()
    reviews = build_reviews(rng, pool)
    posts = build_posts(rng, pool, reviews)
    assign_keys(reviews, "r", first_line=2)
    assign_keys(posts, "p", first_line=1)
    pages, page_cases = build_pages(rng)
    planted = planted_json(reviews, posts, page_cases)

    (out / "pages").mkdir(parents=True, exist_ok=True)
    (out / "reviews.csv").write_bytes(reviews_bytes(reviews))
    (out / "posts.jsonl").write_bytes(posts_bytes(posts))
    for path, html in pages.items():
        (out / path).write_bytes(html.encode())
    (out / "planted.json").write_bytes(
        (json.dumps(planted, indent=2, ensure_ascii=False) + "\n").encode()
    )
    (out / "README.md").write_bytes(readme(planted, len(reviews), len(posts), len(pages)).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
