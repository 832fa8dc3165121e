#!/usr/bin/env python3
"""Generate the minprompt "tiny world" pretraining corpus and its three task sets.

Run from the repository root (Python standard library only, under ten seconds):

    python data/make_corpus.py                  # same as --seed 1337 --out data
    python data/make_corpus.py --seed 7 --out /tmp/other
    python data/make_corpus.py --mix review=58,comments=8,takes=12,product=8,news=14 --out /tmp/takes
    python data/make_corpus.py --mix review=60,comments=8,product=15,news=17 --out /tmp/no-listings

All randomness comes from one random.Random(seed): the same seed gives
byte-identical files on every run (no set is iterated, hash() is never used,
nothing depends on the clock, the locale or the environment).

corpus.txt
    About 4.8 MB: 22,000 short English documents about a small invented world,
    joined by "\\n<|endoftext|>\\n" (the marker on its own line, none before the
    first or after the last document; the file ends with a single "\\n").  The
    mix, by number of documents:
      * 52% reviews of movies, restaurants, books and products.  Sentiment is
        carried by adjectives ("charming", "bland"), negation ("far from great",
        "never boring", "I did not enjoy ...") and contrast ("The score was lovely,
        but the plot was muddled; in the end I would not watch it again.").  About
        45% are positive, 45% negative and 10% mixed; 95% end with an explicit
        verdict that always agrees with the body: half in one of many forms ("4
        out of 5 stars", "Skip this one.", "Worth every penny."), half naming the
        polarity in one word ("Overall: positive.", "My feelings were mixed.").  Some are one-liners ("The film was dreadful.");
        some mention a neutral fact (the plot, the price) that carries no opinion.
      * 8% reader comments: a header ("Comments on The Lazy Fox"), then 4-8
        lines, each one reader's single judgement of one thing and a one-word
        verdict ("Ruth: The characters were far from believable. In a word:
        negative.").  A full review can often be judged from one easy sentence;
        a comment's verdict rests on one cue, often a negation, so every cue
        gets learned.
      * 3% product descriptions built from attributes (name, category,
        material, colour, one or two features) in three styles: plain (spec
        sheet), luxury (long and elegant) and playful (exclamations and jokes).
        About a third start with a "Style: <style>" header line.  Every
        description names all of its attributes literally.
      * 17% news items on sports, science, business and weather: a headline
        line, then 2-5 sentences; some start with a section tag line such as
        "Sports desk".
      * 0% everyday takes, unless --mix asks for them: threads of 3-8 short
        opinions in plain everyday English about goods, places and stories
        ("Broke the first time I used it.", "Not great.", "A bit pricey, but
        worth every penny."), each closed by a verdict.  Written without reading
        the hand-written natural split, and tested to share no sentence with it.
        On the small base, 12% takes (the --mix example above, in a first draft)
        did not lift that split (median of three prompt seeds 0.617 against
        0.625) and cost topic accuracy (0.792 against 0.980), so the bundled
        corpus leaves them out; a larger base may hold both.
      * 20% shop listings: a product card in one of six shop formats (never
        the describe task's "name: ... | ..." line), the style asked for ("Tone:
        luxury"), then a description in that style that restates every fact on
        the card: later text copying earlier text, the skill the describe prompt
        needs.  With 10% listings the small base ignored the card after 2,600
        steps; 20% and 3,600 steps (the default) make it read the card.
    Every document has its own names: its products, its people's surnames and its
    companies are made up for it from syllables ("Kourhiklis", "Ruth Tostezu"),
    so a name's second mention can be predicted only from its first, never from
    memory (fresh_names).  Movies, books, restaurants, cities and first names
    come from fixed lists.
    The documents are written in shuffled order because the training script's
    split rule is simply "the last 5% of the token stream is validation":
    shuffling makes that tail a fair sample of every document kind.

tasks/<name>/{train,val,test}.jsonl   (one JSON object per line)
    sentiment  {"text": review body, "label": "positive" | "negative"}
               Clearly polar reviews with the verdict sentence removed (negation
               and contrast included), each naming its held-out movie, restaurant,
               book or product.  2000 / 300 / 600, each split 50/50; the
               test split also holds {"text": "The movie was fantastic",
               "label": "positive"} and {"text": "This movie was terrible",
               "label": "negative"}, sentences that never occur in the corpus.
    topic      {"text": headline + "\\n" + body, "label": "sports" | "science" |
               "business" | "weather"}   2000 / 300 / 600, balanced, no tags.
    describe   {"input": "name: Aurora | category: lamp | material: oak |
               colour: green | features: dimmable, cordless | style: luxury",
               "target": description (no header), "attributes": ["Aurora",
               "lamp", "oak", "green", "dimmable", "cordless"], "style":
               "luxury"}   1500 / 200 / 200, styles balanced, short targets.

Held-out entities: every entity list (product names, cities and therefore
teams, institutes and weather places, people, companies, movie, book and
restaurant names) is shuffled with the seed and its last fifth is reserved for
the tasks.  Task examples come from the same sentence generators, so they are in
the corpus's distribution, but no task text occurs in the corpus.  The words the
training script wraps tasks in ("Review:", "Sentiment:", "Article:", "Topic:",
"Description:", "Attributes:") never occur in the corpus.  Both facts, and that
"<|endoftext|>" only appears as the separator, are asserted before writing.
"""

import argparse
import json
import os
import random
import re
import sys

N_DOCS = 22000                    # documents in corpus.txt
MIX = (("review", 52), ("comments", 8), ("product", 3), ("listing", 20), ("news", 17))  # --mix changes it
TASK_SIZES = {"sentiment": (2000, 300, 600), "topic": (2000, 300, 600),
              "describe": (1500, 200, 200)}
HELDOUT_FRACTION = 0.2
SEPARATOR = "\n<|endoftext|>\n"
FORBIDDEN = ("Review:", "Sentiment:", "Article:", "Topic:", "Description:",
             "Attributes:")
PROBES = ({"text": "The movie was fantastic", "label": "positive"},
          {"text": "This movie was terrible", "label": "negative"})
RESERVED = ("the movie was fantastic", "this movie was terrible")  # never in corpus
POS, NEG, MIXED = "positive", "negative", "mixed"


def L(text):
    """A word list written as comma-separated text; items may span lines."""
    return [" ".join(w.split()) for w in text.split(",") if w.strip()]


# =============================================================================
# Word lists: the world
# =============================================================================

FIRST_NAMES = L("""
    Ada, Alice, Amara, Anna, Arjun, Beatrice, Ben, Carla, Caleb, Chen, Clara, Daniel,
    Dara, Elena, Eli, Emil, Esther, Felix, Fatima, Gabriel, Grace, Hana, Hugo, Ines,
    Isaac, Ivy, Jonas, Julia, Kai, Kofi, Lara, Leo, Lina, Luca, Maya, Marco, Mei,
    Mira, Nadia, Noah, Nora, Omar, Olivia, Oscar, Paula, Priya, Quinn, Rafael, Rosa,
    Ruth, Sam, Sara, Simon, Sofia, Tariq, Theo, Tom, Uma, Vera, Victor, Wendy, Yusuf,
    Zara, Iris, Hector, Greta, Ezra, Diego, Celia, Bruno, Amir, Nina, Leon, Helen,
    Farah, Ravi, Lucy, Jack, Martha, Aiko, Agnes, Basil, Cyrus, Delia, Edgar, Freya,
    Gideon, Harriet, Idris, Josephine, Kasimir, Lorenzo, Mabel, Nikolai, Ottilie,
    Pablo, Rhea, Soren, Thaddeus, Ulla, Valentina, Winston, Xavier, Yolanda, Zeno""")
LAST_NAMES = L("""
    Abbott, Alvarez, Baker, Banerjee, Bell, Brandt, Brooks, Carter, Castillo,
    Chowdhury, Costa, Dalton, Dimitrov, Duarte, Ellis, Erikson, Fischer, Fontaine,
    Garcia, Gray, Hale, Haddad, Holm, Ito, Jensen, Kaur, Keller, Kim, Kowalski, Lang,
    Larsen, Lopez, Mahler, Marsh, Mendes, Moreau, Murphy, Nakamura, Novak, Okafor,
    Olsen, Ortega, Patel, Petrov, Price, Quinlan, Reyes, Rossi, Sato, Schmidt, Shah,
    Silva, Stone, Sullivan, Tanaka, Torres, Varga, Vance, Walsh, Weber, Whitfield,
    Yilmaz, Young, Zhang, Adler, Brennan, Crane, Dunn, Greer, Hart, Jovanovic, Kerr,
    Lund, Nair, Osei, Pike, Rowe, Santos, Tran, Ueda, Ashworth, Beaumont, Castellano,
    Drummond, Eastwood, Fairweather, Galloway, Hargreaves, Iverson, Jaramillo,
    Kingsley, Lindqvist, Montgomery, Nakashima, Oyelaran, Pemberton, Quintero,
    Rutherford, Szabo, Thornton, Underwood, Villanueva, Wainwright, Yamamoto""")
CITIES = L("""
    Ashford, Brightwater, Cedar Falls, Dunmore, Eastbrook, Fairhaven, Glenmoor,
    Harrowgate, Ironvale, Juniper Bay, Kingsport, Larkhill, Millbrook, Northwick,
    Oakmere, Pinecrest, Queensbury, Redcliff, Saltmarsh, Stonebridge, Thornbury,
    Umberton, Valewood, Westmoor, Willowby, Yarrow, Alderton, Bramley, Coldwater,
    Deepdale, Elmstead, Foxley, Greywater, Hollowell, Lowmoor, Marlow, Newhaven,
    Oldcastle, Portwell, Riverton, Silverton, Summerfield, Tidewell, Upton Cross,
    Wexley, Brackenridge, Castleford, Dovecote, Emberly, Goldcrest, Highbury,
    Lindenfield, Moorfield, Nettleham, Orchard Hill, Ravensworth, Sandport,
    Thistlebury, Westbridge, Windmere, Amberley, Blackwater, Crowhurst, Dunwich,
    Eldermere, Fenwick, Gullhaven, Heathfield, Kilbride, Lockwood, Merriton,
    Pennystone, Rookham, Shelbourne, Wolverley""")
REGIONS = L("""the north, the south, the coast, the hills, the eastern valleys,
    the western islands, the river plains, the mountains, the lakes, the moors""")
DAYS = L("Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday")
MONTHS = L("""January, February, March, April, May, June, July, August, September,
    October, November, December""")
NUMBER_WORDS = L("""zero, one, two, three, four, five, six, seven, eight, nine, ten,
    eleven, twelve""")
ORDINALS = L("first, second, third, fourth, fifth, sixth, seventh, eighth, ninth")

# --- the things people review --------------------------------------------------
MOVIE_ADJ = L("""
    Silent, Crimson, Hidden, Broken, Golden, Last, Lonely, Midnight, Distant,
    Burning, Quiet, Forgotten, Wild, Frozen, Velvet, Hollow, Secret, Endless,
    Restless, Painted, Scarlet, Shattered, Wandering, Bitter, Electric, Invisible,
    Northern, Falling, Savage, Gentle, Iron, Paper, Glass, Stolen, Sleeping, Crooked,
    Emerald, Sunken, Winter, Fading, Hungry, Borrowed, Weeping, Scattered, Gilded,
    Drowned, Howling, Tangled, Ashen, Luminous""")
MOVIE_NOUN = L("""
    Harbor, Garden, River, Kingdom, Road, Mirror, Tide, Signal, Orchard, Station,
    Lighthouse, Empire, Promise, Frontier, Shadow, Horizon, Canyon, Carnival, Letter,
    Island, Engine, Crown, Compass, Voyage, Stranger, Circus, Citadel, Bridge, Forest,
    Summer, Witness, Machine, Heart, Tempest, Lantern, Valley, Palace, Desert,
    Detective, Choir, Pilgrim, Orphanage, Galaxy, Vineyard, Ferryman, Avalanche,
    Masquerade, Monastery, Labyrinth, Typewriter""")
MOVIE_GENRES = L("""thriller, comedy, drama, western, musical, horror film, romance,
    war film, science fiction film, family film, mystery, heist film,
    coming-of-age story, animated film, courtroom drama, spy film""")
BOOK_HEAD = L("""
    Secret, Diary, Daughter, Return, Letters, Silence, Ghost, Keeper, Song, Map,
    House, Memory, Long Winter, Last Summer, Weight, Sound, Edge, Architect,
    Cartographer, Beekeeper, Clockmaker, Orphan, Lighthouse Keeper, Book, Queen""")
BOOK_TAIL = L("""
    Salt, Ashes, Small Things, Wonders, the Tide, Lost Hours, Glass, Stars,
    Falling Snow, Stone, the Moon, Forgotten Songs, Rain, Feathers, Dust, the North,
    Quiet Rooms, Borrowed Time, Still Water, Paper Birds, Distant Bells,
    Broken Clocks, Honey, Lanterns, Smoke, Wild Geese, Silver Rivers, Hollow Hills,
    the Last Orchard, Winter Roses, Blue Porcelain""")
BOOK_GENRES = L("""mystery, fantasy novel, thriller, memoir, romance, historical novel,
    family saga, short story collection, detective novel, ghost story,
    novel for young readers, travel book, biography""")
RESTAURANT_KINDS = L("Kitchen, Table, Grill, Diner, Bistro, Cafe, Trattoria, "
                     "Noodle Bar, Canteen")
RESTAURANT_ADJ = L("""Golden, Copper, Hungry, Little, Blue, Olive, Crooked, Salty,
    Silver, Green, Red, Wooden, Rusty, Lazy, Happy""")
RESTAURANT_NOUN = L("""Spoon, Pot, Fox, Lantern, Fig, Anchor, Kettle, Pear, Door,
    Goat, Lemon, Oven, Plate, Barrel, Duck""")
CUISINES = L("""Italian, Thai, Greek, Mexican, Japanese, Indian, French, Lebanese,
    Korean, Spanish, Turkish, Vietnamese, Ethiopian, Peruvian, seafood, vegetarian,
    Moroccan, Georgian, Sicilian, Portuguese, Malaysian, Persian""")

# --- products: names, categories, materials, colours, features -----------------
PRODUCT_NAMES = L("""
    Aurora, Nimbus, Zephyr, Orla, Kestrel, Juno, Vega, Lumen, Solace, Halcyon,
    Tandem, Pebble, Mosaic, Ember, Fjord, Tundra, Sierra, Cirrus, Nova, Atlas,
    Orbit, Quill, Marlo, Sable, Aero, Alba, Alto, Arlo, Ayla, Bento, Bijou, Blix,
    Bodhi, Boreal, Brio, Calla, Cami, Cosmo, Dahlia, Elio, Elara, Fennel, Flora,
    Gala, Helix, Isla, Kiko, Koa, Lio, Lotus, Luma, Lyra, Mako, Mica, Milo, Mochi,
    Nori, Oasis, Olo, Onyx, Opal, Orca, Otto, Pax, Pico, Pixel, Puffin, Quasar,
    Quokka, Raya, Rho, Rio, Rook, Rumi, Sol, Sorrel, Strata, Suki, Taro, Terra,
    Tiko, Toto, Uno, Vale, Velo, Vesper, Wren, Yuzu, Zen, Zinnia, Zola, Zuma,
    Aspen, Bryn, Coda, Dune, Fable, Glint, Indra, Jolie, Kona, Lumi, Nixie, Oona,
    Pippa, Riva, Sumi, Tali, Veda, Yara, Ziggy, Blossom, Cobble, Drift, Fizz, Hush,
    Jinx, Kudos, Noodle, Peony, Snug, Acorn, Bramble, Cinder, Dapple, Fern, Gusto,
    Huckle, Inkwell, Jubilee, Kipper, Lupin, Marigold, Nutmeg, Pimento, Quaver,
    Rascal, Saffi, Tumble, Velvet, Whimsy""")
# category: (plural, materials, features, what it is for)
CATEGORIES = {
    "lamp": ("lamps", L("oak, brass, ceramic, glass, walnut, steel"),
             L("dimmable, cordless, rechargeable, adjustable, portable, solar-powered"),
             "your reading corner"),
    "backpack": ("backpacks", L("canvas, leather, nylon, recycled plastic, cotton"),
                 L("waterproof, lightweight, padded, expandable, lockable, foldable"),
                 "the daily commute"),
    "kettle": ("kettles", L("steel, copper, glass, ceramic"),
               L("cordless, whisper-quiet, insulated, programmable, compact"),
               "the morning routine"),
    "chair": ("chairs", L("oak, walnut, rattan, steel, bamboo, leather"),
              L("stackable, foldable, ergonomic, adjustable, padded"), "the dining room"),
    "headset": ("headsets", L("aluminium, leather, recycled plastic, steel"),
                L("wireless, noise-cancelling, foldable, rechargeable, lightweight, "
                  "padded"), "long flights"),
    "desk": ("desks", L("oak, walnut, bamboo, steel, pine"),
             L("adjustable, foldable, modular, compact, scratch-resistant"),
             "the home office"),
    "teapot": ("teapots", L("porcelain, ceramic, glass, cast iron"),
               L("insulated, dishwasher-safe, handmade, compact"), "slow afternoons"),
    "blanket": ("blankets", L("wool, cotton, cashmere, linen, fleece"),
                L("washable, reversible, heated, breathable, lightweight, handmade"),
                "cold evenings on the sofa"),
    "umbrella": ("umbrellas", L("nylon, canvas, bamboo, steel"),
                 L("foldable, windproof, compact, lightweight, automatic"),
                 "rainy mornings"),
    "speaker": ("speakers", L("aluminium, walnut, recycled plastic, oak"),
                L("wireless, waterproof, rechargeable, portable, shockproof, "
                  "voice-controlled"), "garden parties"),
    "mug": ("mugs", L("ceramic, porcelain, steel, glass, bamboo"),
            L("insulated, dishwasher-safe, stackable, handmade, leakproof"),
            "the first coffee of the day"),
    "sofa": ("sofas", L("linen, leather, velvet, wool, cotton"),
             L("modular, reversible, stain-resistant, washable, convertible"),
             "the living room"),
    "jacket": ("jackets", L("wool, leather, cotton, nylon, denim"),
               L("waterproof, breathable, reversible, insulated, packable, lightweight"),
               "autumn walks"),
    "watch": ("watches", L("steel, titanium, leather, ceramic, brass"),
              L("waterproof, scratch-resistant, solar-powered, rechargeable, "
                "shockproof, lightweight"), "everyday wear"),
    "bicycle": ("bicycles", L("aluminium, steel, titanium, bamboo"),
                L("foldable, lightweight, electric, adjustable"), "city streets"),
    "notebook": ("notebooks", L("leather, recycled paper, cotton, linen, cork"),
                 L("refillable, lay-flat, pocket-sized, waterproof, handmade"),
                 "big ideas"),
    "clock": ("clocks", L("oak, brass, walnut, copper, glass"),
              L("silent, solar-powered, programmable, handmade, wall-mounted"),
              "the hallway"),
    "rug": ("rugs", L("wool, jute, cotton, silk"),
            L("washable, reversible, stain-resistant, handmade, non-slip"),
            "bare floors"),
    "tent": ("tents", L("nylon, canvas, polyester"),
             L("waterproof, lightweight, pop-up, windproof, breathable"),
             "weekends in the hills"),
    "suitcase": ("suitcases", L("aluminium, leather, polycarbonate, canvas"),
                 L("lockable, expandable, lightweight, shockproof, scratch-resistant"),
                 "long journeys"),
    "water bottle": ("water bottles", L("steel, glass, aluminium, recycled plastic"),
                     L("insulated, leakproof, dishwasher-safe, collapsible, "
                       "lightweight"), "busy days"),
    "pillow": ("pillows", L("cotton, linen, wool, silk, memory foam"),
               L("washable, breathable, adjustable, hypoallergenic, cooling"),
               "a good night's sleep"),
    "stool": ("stools", L("oak, walnut, steel, cork, bamboo"),
              L("stackable, adjustable, foldable, lightweight, swivelling"),
              "the kitchen counter"),
    "toaster": ("toasters", L("steel, copper, aluminium"),
                L("programmable, compact, wide-slot, whisper-quiet"), "lazy breakfasts"),
    "fan": ("fans", L("steel, bamboo, aluminium"),
            L("whisper-quiet, oscillating, cordless, rechargeable, remote-controlled"),
            "hot summer nights"),
    "wallet": ("wallets", L("leather, canvas, cork, recycled plastic"),
               L("slim, waterproof, handmade, compact"), "your back pocket"),
    "scarf": ("scarves", L("wool, cashmere, silk, cotton, linen"),
              L("reversible, washable, lightweight, handmade, breathable"),
              "windy days"),
    "bookshelf": ("bookshelves", L("oak, walnut, bamboo, steel, pine"),
                  L("modular, wall-mounted, foldable, adjustable, stackable"),
                  "a growing library"),
    "vase": ("vases", L("ceramic, glass, porcelain, terracotta, marble"),
             L("handmade, frost-proof, leakproof, stackable"), "the windowsill"),
    "cutting board": ("cutting boards", L("oak, walnut, bamboo, acacia, teak"),
                      L("reversible, dishwasher-safe, non-slip, handmade"),
                      "busy kitchens"),
    "bench": ("benches", L("teak, oak, steel, acacia"),
              L("weatherproof, foldable, stackable, UV-resistant"), "the garden"),
    "hammock": ("hammocks", L("cotton, hemp, nylon"),
                L("portable, lightweight, weatherproof, packable"), "lazy Sundays"),
    "candle": ("candles", L("beeswax, soy wax"),
               L("scented, smokeless, refillable, handmade"), "quiet evenings"),
    "basket": ("baskets", L("seagrass, rattan, willow, jute"),
               L("foldable, handmade, stackable, washable"), "tidy shelves"),
    "planter": ("planters", L("terracotta, concrete, ceramic, recycled plastic"),
                L("self-watering, frost-proof, stackable, UV-resistant"), "the balcony"),
    "yoga mat": ("yoga mats", L("cork, rubber, jute, recycled plastic"),
                 L("non-slip, foldable, lightweight, washable, non-toxic"),
                 "morning stretches"),
    "sleeping bag": ("sleeping bags", L("goose down, nylon, merino, polyester"),
                     L("waterproof, packable, lightweight, insulated"),
                     "nights under the stars"),
    "mirror": ("mirrors", L("oak, brass, walnut, rattan"),
               L("wall-mounted, anti-fog, adjustable, dimmable"), "the bathroom"),
    "helmet": ("helmets", L("carbon fibre, polycarbonate, recycled plastic"),
               L("lightweight, adjustable, breathable, foldable"), "the ride to work"),
    "apron": ("aprons", L("linen, cotton, denim, canvas"),
              L("washable, adjustable, stain-resistant, reversible"), "weekend baking"),
}
COLOURS = L("""green, navy, charcoal, ivory, crimson, mustard, teal, coral, sage,
    black, white, grey, cream, burgundy, lavender, olive, rust, sky blue, blush pink,
    slate, forest green, sand, mint, peach, plum, ochre, indigo, turquoise, saffron,
    pearl""")
# What each feature does, written to follow "it": "it folds flat in seconds".
FEATURE_NOTES = {
    "dimmable": "goes from a soft glow to full brightness",
    "cordless": "works anywhere without a trailing cable",
    "rechargeable": "charges from any USB port",
    "adjustable": "adapts to you in a few seconds",
    "portable": "goes wherever you go",
    "solar-powered": "runs on nothing but daylight",
    "waterproof": "shrugs off rain and splashes",
    "lightweight": "weighs almost nothing",
    "padded": "keeps things soft where it matters",
    "expandable": "grows when you need more room",
    "lockable": "keeps your things safe",
    "foldable": "folds flat in seconds",
    "whisper-quiet": "barely makes a sound",
    "insulated": "keeps drinks hot or cold for hours",
    "programmable": "remembers your favourite settings",
    "compact": "fits into the smallest spaces",
    "stackable": "stacks neatly when not in use",
    "ergonomic": "supports you in all the right places",
    "wireless": "connects without a single wire",
    "noise-cancelling": "shuts out the busy world",
    "modular": "rearranges to suit any room",
    "scratch-resistant": "stays looking new for years",
    "dishwasher-safe": "can go straight in the dishwasher",
    "handmade": "is made by hand, one at a time",
    "washable": "comes out fresh from the washing machine",
    "reversible": "has two looks in one",
    "heated": "warms up in minutes",
    "breathable": "lets the air flow through",
    "windproof": "stands up to strong gusts",
    "automatic": "opens at the touch of a button",
    "shockproof": "survives the odd bump and drop",
    "voice-controlled": "listens when you talk to it",
    "leakproof": "never spills a drop",
    "stain-resistant": "wipes clean after every spill",
    "convertible": "turns into a bed for guests",
    "packable": "packs down into its own pocket",
    "electric": "gives you a gentle push uphill",
    "refillable": "takes fresh pages when you run out",
    "lay-flat": "opens flat on any page",
    "pocket-sized": "slips into any pocket",
    "silent": "never ticks or hums",
    "wall-mounted": "hangs neatly on the wall",
    "non-slip": "stays put on any floor",
    "pop-up": "sets itself up in a minute",
    "collapsible": "squashes down when it is empty",
    "hypoallergenic": "is kind to sensitive skin",
    "cooling": "stays cool all night long",
    "swivelling": "turns smoothly in every direction",
    "wide-slot": "takes thick slices of bread",
    "oscillating": "sweeps a breeze across the room",
    "remote-controlled": "comes with a tiny remote",
    "slim": "takes up almost no space",
    "frost-proof": "stays outside all winter without cracking",
    "weatherproof": "laughs at sun, wind and rain",
    "UV-resistant": "keeps its colour in the strongest sun",
    "scented": "fills the room with a gentle fragrance",
    "smokeless": "burns clean without a trace of smoke",
    "self-watering": "waters your plants while you are away",
    "non-toxic": "is free of harsh chemicals",
    "anti-fog": "stays clear even after a hot shower",
}

# --- news ------------------------------------------------------------------------
TEAM_MASCOTS = L("""Hawks, Lions, Rovers, Falcons, Wolves, Bears, Foxes, Tigers,
    Comets, Pirates, Giants, Mariners, Rangers, Stags, Owls, Sharks, Dragons, Eagles,
    Ravens, Bulls, Panthers, Otters, Badgers, Hornets, Kings, Knights, Vikings, Jets,
    Miners, Herons""")
# sport: (scoring unit, winning score range, venue, positions, scoring phrases)
SPORTS = {
    "football": ("goals", (1, 5), "stadium",
                 L("striker, midfielder, goalkeeper, defender, winger"),
                 L("scored twice, scored the winning goal, scored a late header, "
                   "set up both goals, scored from the penalty spot")),
    "basketball": ("points", (78, 121), "arena", L("guard, forward, center"),
                   L("scored {n} points, added {n} points and ten rebounds, "
                     "hit the winning shot, led all scorers with {n} points")),
    "hockey": ("goals", (2, 7), "arena", L("winger, defenceman, goaltender, center"),
               L("scored twice, scored in overtime, made {n} saves, "
                 "scored the opening goal")),
    "rugby": ("points", (14, 42), "ground", L("fly-half, winger, captain, prop"),
              L("scored two tries, kicked {n} points, scored a late try, "
                "ran in the opening try")),
    "baseball": ("runs", (3, 11), "ballpark",
                 L("pitcher, shortstop, catcher, outfielder"),
                 L("hit a home run, pitched seven strong innings, drove in three "
                   "runs, hit a double in the ninth")),
}
# Match colour for each sport, used in reports of wins.
SPORT_DETAILS = {
    "football": ["The referee waved away two penalty appeals.",
                 "A header in stoppage time sealed it.",
                 "The visitors hit the crossbar twice before the break."],
    "basketball": ["The hosts shot 52 percent from the field.",
                   "A late three-pointer forced overtime.",
                   "Both benches were cleared after a heated timeout."],
    "hockey": ["A power-play goal turned the game.",
               "The goaltender was pulled with two minutes left.",
               "A scrappy rebound goal opened the scoring."],
    "rugby": ["A driving maul led to the first try.", "The scrum dominated all afternoon.",
              "A yellow card left the visitors a man short."],
    "baseball": ["A two-run double in the seventh broke the tie.",
                 "The bullpen held on through the last three innings.",
                 "A diving catch in centre field saved two runs."],
}
LEAGUES = L("""Northern League, Coastal Conference, Premier Division, Valley League,
    Championship Series, Island Cup""")
INJURIES = L("knee, ankle, hamstring, shoulder, back, wrist, calf")
COMPANY_ROOTS = L("""
    Northwind, Bluepeak, Silverline, Redstone, Brightpath, Ironbridge, Greenfield,
    Suncrest, Clearwater, Oakridge, Highland, Stonegate, Westlake, Goldleaf,
    Bluewater, Crestview, Deepwell, Evergreen, Falconer, Granite, Harborview,
    Keystone, Lakeshore, Meridian, Newfield, Pinnacle, Rockport, Sterling, Tidewater,
    Trident, Vantage, Whitestone, Arclight, Beacon, Cobalt, Driftwood, Everest,
    Foxglove, Larkspur, Moonstone""")
# company suffix: (what the company is, what it sells)
COMPANY_KINDS = {
    "Systems": ("software company", "software"),
    "Foods": ("food maker", "snacks and frozen meals"),
    "Motors": ("carmaker", "electric cars"),
    "Energy": ("energy group", "wind and solar power"),
    "Bank": ("bank", "mortgages and loans"),
    "Airlines": ("airline", "flights"),
    "Pharma": ("drugmaker", "medicines"),
    "Telecom": ("telecom group", "phone plans and broadband"),
    "Logistics": ("shipping firm", "deliveries"),
    "Retail": ("retailer", "clothes and homeware"),
    "Steel": ("steelmaker", "steel"),
    "Games": ("games studio", "video games"),
    "Brewing": ("brewer", "beer"),
    "Insurance": ("insurer", "home and car insurance"),
    "Hotels": ("hotel group", "holidays"),
    "Mining": ("miner", "copper and iron ore"),
    "Media": ("media group", "newspapers and streaming"),
    "Chocolate": ("chocolate maker", "chocolate bars"),
}
# (field, scientist, headline phrase, what was found; follows "has found")
DISCOVERIES = [
    ("biology", "biologist", "new species of tree frog",
     "a new species of tree frog in the forests near {city}"),
    ("astronomy", "astronomer", "planet twice the size of Earth",
     "a rocky planet twice the size of Earth orbiting a nearby star"),
    ("chemistry", "chemist", "cheaper battery material",
     "a cheap material that could make batteries last twice as long"),
    ("archaeology", "archaeologist", "ancient village",
     "the remains of a village more than four thousand years old near {city}"),
    ("medicine", "doctor", "link between sleep and memory",
     "that people who sleep well remember new words more easily"),
    ("geology", "geologist", "hidden lake beneath the ice",
     "a lake of liquid water hidden under two kilometres of ice"),
    ("physics", "physicist", "record-breaking laser pulse",
     "a laser pulse shorter than any measured before"),
    ("ecology", "ecologist", "bees that can count",
     "that bumblebees can count up to four"),
    ("marine biology", "marine biologist", "coral that survives warmer seas",
     "a coral that keeps growing in water that kills its neighbours"),
    ("astronomy", "astronomer", "new comet",
     "a comet that will pass close to Earth in the spring"),
    ("microbiology", "microbiologist", "plastic-eating bacteria",
     "bacteria that can break down plastic bottles in a few weeks"),
    ("palaeontology", "palaeontologist", "feathered dinosaur fossil",
     "the fossil of a small feathered dinosaur in a quarry near {city}"),
    ("zoology", "zoologist", "how birds find their way home",
     "that migrating birds use the smell of the sea to find their way"),
    ("engineering", "engineer", "concrete that repairs itself",
     "a concrete that seals its own cracks when it rains"),
    ("botany", "botanist", "oldest tree in the region",
     "an olive tree that is almost two thousand years old"),
    ("medicine", "doctor", "quick test for malaria",
     "a paper test that spots malaria in ten minutes"),
    ("astronomy", "astronomer", "galaxy older than expected",
     "a galaxy that formed far earlier than models predicted"),
    ("climate science", "climate scientist", "glacier melting faster",
     "that the glaciers above {city} are shrinking twice as fast as thought"),
    ("psychology", "psychologist", "effect of quiet music on focus",
     "that quiet music helps children concentrate on homework"),
    ("robotics", "engineer", "robot that lands like a cat",
     "a small robot that twists in the air and lands on its feet like a cat"),
    ("entomology", "entomologist", "butterfly thought extinct",
     "a butterfly that had not been seen for a hundred years"),
    ("genetics", "geneticist", "gene linked to long life",
     "a gene shared by many people who live past a hundred"),
    ("oceanography", "oceanographer", "deep-sea volcano",
     "an active volcano three kilometres below the surface of the ocean"),
    ("materials science", "materials scientist", "metal foam that floats",
     "a metal foam light enough to float on water"),
    ("mathematics", "mathematician", "proof of an old puzzle",
     "a proof of a puzzle that had stood for two hundred years"),
    ("volcanology", "volcanologist", "way to forecast eruptions",
     "that tiny changes in spring water can warn of an eruption weeks ahead"),
    ("linguistics", "linguist", "lost language in old letters",
     "a forgotten language written in letters kept in a library in {city}"),
    ("agriculture", "plant scientist", "wheat that needs less water",
     "a variety of wheat that grows well with half the usual water"),
    ("neuroscience", "neuroscientist", "how the brain stores faces",
     "a small group of brain cells that helps us recognise faces"),
    ("chemistry", "chemist", "paint that cools buildings",
     "a white paint that keeps roofs cooler than the air around them"),
    ("zoology", "zoologist", "whales that sing in dialects",
     "that whales from different seas sing in their own dialects"),
]
# Other kinds of science story: space missions, prizes and expeditions.
MISSION_TARGETS = L("""the rings of the outer planets, ice on the moon, storms on the
    sun, the oceans from orbit, a distant asteroid, the clouds of a nearby planet""")
PRIZES = L("Northern Medal for Science, Golden Beaker Prize, National Science Prize, "
           "Frontier Award")
PRIZE_TOPICS = L("""clean energy, ancient climates, the chemistry of soil, how memories
    form, life in the deep sea, the birth of stars, bird migration""")
EXPEDITION_PLACES = L("""the frozen north, a remote volcanic island, the high
    mountains, a flooded cave system, the deep ocean floor, the open desert""")
JOURNALS = L("""the Journal of Natural Science, Frontier Letters, Annals of Discovery,
    the Northern Science Bulletin, Open Research Letters,
    the Quarterly of Earth Sciences""")
SECTION_TAGS = {
    "sports": L("Sports desk, From the sports desk, Match report, Today in sports"),
    "science": L("From our science correspondent, Science desk, Science notebook, "
                 "The latest in science"),
    "business": L("Business desk, Markets, Business briefing, Today in business"),
    "weather": L("Weather watch, Weather desk, Forecast, Today's weather"),
}


# =============================================================================
# Small helpers
# =============================================================================

def cap(s):
    return s[:1].upper() + s[1:]


def a_an(phrase):
    w = phrase.lower()
    if w.startswith(("uni", "use", "one", "eu", "uv")):
        return "a " + phrase
    if w.startswith(("hour", "honest")) or w[:1] in "aeiou":
        return "an " + phrase
    return "a " + phrase


def and_list(items):
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def be(plural, tense="past"):
    if tense == "past":
        return "were" if plural else "was"
    return "are" if plural else "is"


def words(text):
    return len(text.split())


def split_pool(rng, items):
    """Shuffle a copy of a name list; return (corpus part, held-out part)."""
    items = sorted(items)
    rng.shuffle(items)
    k = max(1, round(len(items) * HELDOUT_FRACTION))
    return items[:-k], items[-k:]


def build_pools(rng):
    """Entity names for the corpus ('corpus') and, disjoint, the tasks ('heldout')."""
    lists = {
        "people": [f + " " + l for f in FIRST_NAMES for l in LAST_NAMES],
        "movies": ["The " + a + " " + n for a in MOVIE_ADJ for n in MOVIE_NOUN],
        "books": ["The " + h + " of " + t for h in BOOK_HEAD for t in BOOK_TAIL],
        "restaurants": ([f + "'s " + k for f in FIRST_NAMES for k in RESTAURANT_KINDS]
                        + ["The " + a + " " + n for a in RESTAURANT_ADJ
                           for n in RESTAURANT_NOUN]),
        "companies": [r + " " + k for r in COMPANY_ROOTS for k in COMPANY_KINDS],
        "products": PRODUCT_NAMES,
        "cities": CITIES,
    }
    pools = {"corpus": {}, "heldout": {}}
    for key, items in lists.items():
        pools["corpus"][key], pools["heldout"][key] = split_pool(rng, items)
    return pools


# =============================================================================
# Reviews
# =============================================================================

GOOD = L("""great, fantastic, wonderful, excellent, superb, outstanding, terrific,
    brilliant, lovely, impressive, marvellous, splendid, first-rate, top-notch,
    delightful, charming, remarkable, exceptional, fabulous, stellar, magnificent,
    sublime, glorious, phenomenal, breathtaking, dazzling, exquisite, captivating,
    enchanting, first-class, spectacular, flawless""")
BAD = L("""terrible, awful, dreadful, poor, disappointing, weak, mediocre, bad, lousy,
    subpar, underwhelming, abysmal, dismal, woeful, atrocious, horrible, pathetic,
    miserable, appalling, dire, shambolic, hopeless, lamentable, dreary, ghastly,
    insipid, tiresome, lifeless, feeble, wretched, lacklustre, second-rate""")
GOOD_ADVERBS = L("truly, really, genuinely, simply, absolutely, consistently")
BAD_ADVERBS = L("truly, really, simply, utterly, downright")


def aspect(name, plural, good, bad):
    """Something a review can judge, with adjectives that suit it."""
    return {"name": name, "plural": plural, "good": L(good), "bad": L(bad)}


DISHES = L("""pasta, steak, curry, risotto, fish, lamb, roast chicken, pizza, burger, pie,
    lasagne, dumplings, noodles, tacos, chips, mussels, meatballs""")
DISH_GOOD = "delicious, perfectly cooked, full of flavour, superb, generous"
DISH_BAD = "overcooked, bland, greasy, lukewarm, tasteless, undercooked"
ASPECTS = {
    "movie": [
        aspect("the acting", 0, "convincing, natural, nuanced, moving",
               "wooden, stiff, hammy, unconvincing"),
        aspect("the plot", 0, "gripping, clever, tight, surprising",
               "predictable, muddled, thin, confusing"),
        aspect("the score", 0, "haunting, rousing, lush, memorable",
               "forgettable, grating, intrusive, syrupy"),
        aspect("the pacing", 0, "brisk, confident, well judged",
               "sluggish, uneven, glacial, plodding"),
        aspect("the dialogue", 0, "sharp, witty, natural", "clunky, stilted, corny"),
        aspect("the cinematography", 0, "gorgeous, striking, lush", "murky, flat, drab"),
        aspect("the ending", 0, "satisfying, moving, surprising", "rushed, baffling, limp"),
        aspect("the cast", 0, "charming, superb, lively", "wasted, miscast, listless"),
        aspect("the special effects", 1, "dazzling, seamless, convincing",
               "cheap, cheesy, distracting"),
        aspect("the characters", 1, "likable, vivid, believable", "flat, shallow, annoying"),
        aspect("the jokes", 1, "hilarious, sharp, fresh", "stale, tired, forced"),
        aspect("the villain", 0, "menacing, memorable, chilling",
               "cartoonish, toothless, silly"),
        aspect("the script", 0, "smart, tight, witty", "lazy, clumsy, muddled"),
        aspect("the lead actress", 0, "radiant, magnetic, superb", "wooden, lost, miscast"),
        aspect("the songs", 1, "catchy, joyful, lovely", "tuneless, dreary, forgettable"),
        aspect("the costumes", 1, "gorgeous, lavish, inventive", "cheap, drab, silly"),
        aspect("the action scenes", 1, "thrilling, breathless, inventive",
               "chaotic, repetitive, incoherent"),
        aspect("the twist", 0, "clever, shocking, earned", "obvious, silly, cheap"),
        aspect("the editing", 0, "crisp, tight, elegant", "choppy, sloppy, messy"),
        aspect("the romance", 0, "tender, sweet, touching", "limp, forced, awkward"),
        aspect("the final act", 0, "thrilling, moving, tense", "rushed, silly, baggy"),
        aspect("the humour", 0, "dry, warm, sharp", "crude, juvenile, flat"),
        aspect("the direction", 0, "assured, confident, stylish",
               "aimless, heavy-handed, clumsy"),
        aspect("the sound design", 0, "immersive, rich, inventive", "muddy, deafening, thin"),
        aspect("the chemistry between the leads", 0, "electric, warm, believable",
               "nonexistent, awkward, forced"),
        aspect("the monster", 0, "terrifying, convincing, eerie", "rubbery, laughable, silly"),
        aspect("the stunts", 1, "jaw-dropping, daring, spectacular", "clumsy, fake, dull"),
        aspect("the battle scenes", 1, "epic, thrilling, vivid", "confusing, endless, murky"),
        aspect("the child actors", 1, "adorable, natural, funny", "shrill, stiff, grating"),
    ],
    "restaurant": [
        aspect("the food", 0, "delicious, tasty, fresh, flavourful",
               "bland, greasy, tasteless, stodgy"),
        aspect("the service", 0, "friendly, attentive, quick, warm",
               "rude, slow, careless, chaotic"),
        aspect("the prices", 1, "fair, reasonable, honest", "steep, outrageous, silly"),
        aspect("the atmosphere", 0, "cosy, lively, relaxed, warm",
               "noisy, gloomy, stuffy, cold"),
        aspect("the staff", 1, "friendly, attentive, charming, kind",
               "rude, grumpy, careless, indifferent"),
        aspect("the desserts", 1, "heavenly, delicious, rich", "stale, sickly, dry"),
        aspect("the portions", 1, "generous, hearty, ample", "tiny, stingy, meagre"),
        aspect("the wine list", 0, "thoughtful, interesting, varied",
               "short, overpriced, dull"),
        aspect("the bread", 0, "fresh, warm, delicious", "stale, dry, cold"),
        aspect("the coffee", 0, "strong, rich, excellent", "watery, bitter, lukewarm"),
        aspect("the decor", 0, "stylish, charming, elegant", "tired, tacky, shabby"),
        aspect("the soup", 0, "rich, velvety, hearty", "watery, cold, salty"),
        aspect("the cocktails", 1, "inventive, refreshing, strong",
               "sugary, watery, overpriced"),
        aspect("the music", 0, "mellow, lovely, well chosen", "deafening, tinny, annoying"),
        aspect("the wait", 0, "short, brief", "endless, ridiculous, painful"),
        aspect("the cheese board", 0, "generous, superb, varied", "sad, sweaty, stingy"),
        aspect("the oysters", 1, "fresh, briny, plump", "gritty, warm, tired"),
        aspect("the ice cream", 0, "creamy, silky, luscious", "icy, bland, grainy"),
        aspect("the terrace", 0, "sunny, lovely, peaceful", "draughty, cramped, grubby"),
        aspect("the toilets", 1, "spotless, clean, tidy", "filthy, grim, dirty"),
        aspect("the menu", 0, "inventive, tempting, seasonal", "confusing, tired, bland"),
        aspect("the tea", 0, "fragrant, delicate, strong", "stewed, weak, lukewarm"),
    ] + [aspect("the " + dish, dish.endswith("s"), DISH_GOOD, DISH_BAD) for dish in DISHES],
    "book": [
        aspect("the writing", 0, "elegant, vivid, lyrical, crisp",
               "clumsy, flat, overwrought, lifeless"),
        aspect("the prose", 0, "elegant, vivid, lyrical, precise",
               "clumsy, purple, overwrought, lifeless"),
        aspect("the characters", 1, "vivid, believable, likable, complex",
               "flat, wooden, unlikable, thin"),
        aspect("the plot", 0, "gripping, clever, twisty, tight",
               "predictable, muddled, thin, silly"),
        aspect("the ending", 0, "satisfying, moving, perfect, bold",
               "rushed, abrupt, silly, limp"),
        aspect("the pacing", 0, "brisk, steady, well judged", "sluggish, uneven, plodding"),
        aspect("the dialogue", 0, "sharp, witty, natural", "clunky, stilted, wooden"),
        aspect("the world-building", 0, "rich, immersive, inventive",
               "thin, confusing, lazy"),
        aspect("the narrator", 0, "engaging, funny, warm", "irritating, dull, smug"),
        aspect("the setting", 0, "vivid, atmospheric, evocative", "vague, dull, thin"),
        aspect("the twists", 1, "clever, surprising, earned", "obvious, silly, cheap"),
        aspect("the opening chapter", 0, "gripping, arresting, brilliant",
               "slow, confusing, dull"),
        aspect("the heroine", 0, "fierce, funny, memorable", "bland, passive, annoying"),
        aspect("the love story", 0, "tender, believable, touching",
               "forced, soppy, unconvincing"),
        aspect("the humour", 0, "dry, gentle, sharp", "forced, smug, juvenile"),
        aspect("the descriptions", 1, "vivid, lush, precise", "endless, purple, tedious"),
        aspect("the mystery", 0, "intriguing, clever, baffling", "obvious, silly, thin"),
        aspect("the research", 0, "meticulous, impressive, careful",
               "shallow, sloppy, careless"),
        aspect("the translation", 0, "graceful, fluent, elegant", "clumsy, stiff, awkward"),
        aspect("the chapters", 1, "short, punchy, tight", "bloated, baggy, repetitive"),
        aspect("the cover", 0, "beautiful, striking, elegant", "ugly, misleading, drab"),
        aspect("the illustrations", 1, "charming, delicate, witty", "crude, ugly, lazy"),
        aspect("the villain", 0, "chilling, complex, memorable", "cartoonish, flat, silly"),
        aspect("the first half", 0, "gripping, assured, tense", "slow, confusing, dull"),
        aspect("the footnotes", 1, "witty, helpful, learned", "tedious, endless, pedantic"),
    ],
    "product": [
        aspect("the build quality", 0, "solid, sturdy, excellent", "flimsy, cheap, shoddy"),
        aspect("the design", 0, "clever, sleek, elegant", "clumsy, awkward, ugly"),
        aspect("the price", 0, "fair, reasonable, very fair", "steep, silly, outrageous"),
        aspect("the finish", 0, "flawless, smooth, lovely", "rough, patchy, cheap"),
        aspect("the instructions", 1, "clear, simple, helpful",
               "confusing, useless, baffling"),
        aspect("the delivery", 0, "quick, fast, prompt", "slow, late, chaotic"),
        aspect("the customer service", 0, "helpful, friendly, quick", "rude, useless, slow"),
        aspect("the colour", 0, "gorgeous, rich, lovely", "dull, washed out, garish"),
        aspect("the materials", 1, "sturdy, premium, solid", "cheap, thin, flimsy"),
        aspect("the packaging", 0, "neat, tidy, sturdy", "wasteful, flimsy, excessive"),
        aspect("the setup", 0, "painless, quick, simple", "fiddly, painful, baffling"),
        aspect("the value for money", 0, "superb, excellent, outstanding",
               "poor, terrible, laughable"),
        aspect("the warranty", 0, "generous, reassuring", "useless, stingy"),
        aspect("the feel", 0, "premium, solid, luxurious", "cheap, plasticky, flimsy"),
        aspect("the edges", 1, "smooth, neat, tidy", "sharp, rough, uneven"),
        aspect("the weight", 0, "just right, perfect", "awkward, hefty"),
        aspect("the craftsmanship", 0, "superb, careful, meticulous",
               "sloppy, careless, shoddy"),
    ],
}
# Clause frames.  {a} = aspect, {v} = was/were, {x} = adjective of the opposite
# pole, so that "far from {x}" with a good {x} is a negative judgement.
NEGATED_FRAMES = {
    POS: (["{a} {v} not {x} at all", "{a} {v} far from {x}", "{a} {v} anything but {x}"],
          "bad, disappointing"),
    NEG: (["{a} {v} far from {x}", "{a} {v} hardly {x}", "{a} {v} not {x} at all",
           "{a} {v} not exactly {x}", "{a} {v} anything but {x}"],
          "great, good, impressive, special"),
}
VERB_FRAMES = {
    POS: L("""I loved {a}, I really enjoyed {a}, I was impressed by {a}, {a} won me over,
        {a} exceeded my expectations, I could not fault {a},
        there was nothing wrong with {a}, {a} could not have been better,
        I have nothing but praise for {a}, {a} {v} a real highlight,
        {a} {v} the best part, I was blown away by {a}, {a} never bored me,
        {a} never put a foot wrong"""),
    NEG: L("""I did not enjoy {a}, I hated {a}, I could not stand {a},
        I did not care for {a}, {a} let me down, {a} never worked for me,
        {a} left a lot to be desired, I have nothing good to say about {a},
        {a} {v} a real letdown, I was not impressed by {a}, {a} {v} the weakest part,
        I was disappointed by {a}"""),
}
# How each domain talks about itself.
DOMAIN_WORDS = {
    "movie": {"again": "watch it again", "regret": "watching it"},
    "restaurant": {"again": "go back", "regret": "eating there"},
    "book": {"again": "read it again", "regret": "reading it"},
    "product": {"again": "buy it again", "regret": "buying it"},
}
COMPANIONS = L("""my sister, my brother, a few friends, my partner, my parents,
    the kids, an old friend, two colleagues, my wife, my husband, my flatmate,
    my grandmother, my uncle, my niece, my godson, the whole family, my neighbours,
    my running club""")
OCCASIONS = L("""a birthday dinner, our anniversary, a Friday treat, a work lunch,
    a quick bite before the theatre, Sunday lunch, a farewell party, a graduation
    dinner, a rainy Tuesday lunch, a first date, my mother's retirement""")
STREETS = L("""Mill Street, Harbour Road, Station Road, Church Lane, the market square,
    the old quay, Elm Street, the high street, the university, the cathedral,
    the railway bridge, the flower market, the harbour steps""")
TIMES_AGO = L("two weeks, a month, three months, six months, a year, ten days, "
              "a few weeks")
RELATIVES = L("My sister, My dad, My aunt, A friend, My partner, My grandfather, "
              "My neighbour, My boss")
OPENERS = {
    "movie": [
        "I watched {name} last {day} with {companion}.",
        "We went to see {name} on {day} night.",
        "{name} is the new {genre} from director {person}.",
        "I finally caught {name}, the {genre} everyone has been talking about.",
        "I rented {name} for a quiet night in.",
        "{name} opened in cinemas this week.",
        "I saw {name} at the {city} film festival.",
        "{companion_cap} and I saw {name} on {day}.",
        "{name} is {genre_a} directed by {person}.",
        "I went to an early screening of {name}.",
    ],
    "restaurant": [
        "We had dinner at {name} on {day}.",
        "I took {companion} to {name} for {occasion}.",
        "{name} opened in {month} near {street}.",
        "We stopped at {name} for a late lunch.",
        "{name} is a small {cuisine} place near {street}.",
        "Chef {person} runs the kitchen at {name}.",
        "We booked a table at {name} for {occasion}.",
        "{name} is the new {cuisine} restaurant in {city}.",
        "{companion_cap} picked {name} for {occasion}.",
    ],
    "book": [
        "I read {name} by {person} over the holidays.",
        "{name} is the {ordinal} novel from {person}.",
        "A friend lent me {name}, {book_genre_a} by {person}.",
        "I picked up {name} at the airport.",
        "Our book club chose {name} this month.",
        "I read {name}, the new {book_genre} by {person}, in {month}.",
        "{name} by {person} came out in {month}.",
        "I listened to the audiobook of {name} on my commute.",
    ],
    "product": [
        "I bought {name} {time} ago.",
        "{relative} gave me {name} for my birthday.",
        "I have been using {name} for {time} now.",
        "I needed a new {cat}, so I tried {name}.",
        "I ordered {name} in {colour} last {month}.",
        "We got {name} for the new flat.",
        "I picked up {name} in a sale.",
    ],
}
# Whole-thing judgements.  {Ref} = "The film", {Name} = the entity's name.
OVERALL = {
    POS: {
        "all": ["{Ref} was {adv}{good}.", "What {a_good} {noun}!", "I loved {ref}.",
                "{Name} was {adv}{good}.", "{Name} is {adv}{good}.",
                "It was not bad at all; in fact it was {good}.",
                "It was even better than I had hoped.", "I was pleasantly surprised.",
                "{Ref} was a joy from start to finish."],
        "movie": ["I was hooked from the opening scene to the credits.",
                  "It was never boring.", "Not once did I check my watch.",
                  "It made me laugh and it made me cry.",
                  "I left the cinema with a big smile.",
                  "It is easily one of the best films I have seen this year."],
        "restaurant": ["Every dish was a small delight.", "We left full and happy.",
                       "It was one of the best meals I have had in years.",
                       "The whole evening was a pleasure.", "I cannot wait to go back."],
        "book": ["I could not put it down.", "I finished it in two sittings.",
                 "It stayed with me for days.", "It was never dull.",
                 "It is easily the best book I have read this year."],
        "product": ["It does exactly what it promises.", "I use it every day.",
                    "It still works like new after {time}.",
                    "It is the best {cat} I have ever owned."],
    },
    NEG: {
        "all": ["{Ref} was {adv}{bad}.", "What {a_bad} {noun}.",
                "I did not enjoy {ref} at all.", "{Name} was {adv}{bad}.",
                "{Name} is {adv}{bad}.", "It was far from {good_neg}.",
                "It was hardly memorable.", "It did not live up to the hype.",
                "{Ref} was a letdown from start to finish."],
        "movie": ["I was bored from start to finish.",
                  "I checked my watch every ten minutes.",
                  "It felt twice as long as it was.",
                  "It is easily one of the worst films I have seen this year.",
                  "I almost walked out halfway through."],
        "restaurant": ["We left hungry and annoyed.",
                       "It was one of the worst meals I have had in years.",
                       "The whole evening was a letdown.",
                       "Nothing we ordered was worth the money."],
        "book": ["I struggled to finish it.", "I gave up after a hundred pages.",
                 "It was a chore to read.",
                 "I kept waiting for it to get better, and it never did."],
        "product": ["It broke after {time}.", "It stopped working within a month.",
                    "It feels cheap and it looks cheap.",
                    "It is the worst {cat} I have ever owned."],
    },
}
REFS = {"movie": ["the film", "the movie", "this film", "this movie", "the picture"],
        "restaurant": ["the restaurant", "this place", "the place", "the meal"],
        "book": ["the book", "this book", "the novel", "this novel"]}
NOUNS = {"movie": ["film", "movie", "picture"], "restaurant": ["restaurant", "place"],
         "book": ["book", "novel", "read"]}
# Neutral facts that carry no opinion; {story} is a one-line plot.
STORY_HEROES = L("""a retired detective, a young violinist, a lonely lighthouse keeper,
    a struggling chef, an ageing boxer, a shy teenager, a small-town teacher,
    a runaway princess, a widowed farmer, an ambitious journalist, a clumsy robot,
    a famous magician, a ship's doctor, a nervous bank clerk, a travelling circus
    acrobat, a grumpy mountain guide, a disgraced surgeon, a penniless painter,
    a kind-hearted smuggler, a stubborn grandmother""")
STORY_QUESTS = L("""returns home to solve one last case, must win a contest to save the
    family farm, finds a secret in an old attic, sets out across the desert to find a
    lost city, falls for a stranger on a night train, tries to rescue a failing
    restaurant, wakes up with no memory, plans an impossible robbery, goes looking for
    a missing brother, is stranded on an island after a storm, inherits a crumbling
    hotel, enters a dance competition, agrees to guard a mysterious parcel, trains a
    hopeless football team, searches for a stolen painting, hides a fugitive in the
    barn, tries to win back a childhood sweetheart""")
STORY_TIMES = L("""in the 1920s, in the 1960s, during a long hot summer, during a hard
    winter, after the war, in the near future, over a single night, during a heatwave,
    at the turn of the century""")
NEUTRAL = {
    "movie": ["The story follows {story}.", "It is set in {city} {when}.",
              "It runs for just under {hours} hours.", "It is in black and white.",
              "It is based on a novel by {person}."],
    "restaurant": ["We ordered the {dish} and the {dish2}.",
                   "The menu changes with the seasons.", "They do not take bookings.",
                   "There is a small garden at the back.",
                   "Main courses cost around {price} dollars."],
    "book": ["The story follows {story}.", "It is set in {city} {when}.",
             "It runs to about {pages} pages.", "It is told in letters.",
             "It is the first book in a trilogy."],
    "product": ["It arrived in {days} days.", "Mine is the {colour} one.",
                "It cost {price} dollars.", "I mostly use it at home.",
                "It came in a plain cardboard box."],
}
MIXED_SUMMARIES = [
    "I left with mixed feelings.", "It was good in parts and dull in others.",
    "Some of it worked and some of it did not.", "I am still not sure what I think of it.",
    "It was neither great nor terrible.",
    "There is a good {noun} in here somewhere, but it never quite comes together.",
    "I liked half of it and disliked the other half.", "So, a bit of a mixed bag.",
    "I cannot decide whether I liked it.",
]
ENDINGS = {
    POS: L("""I would happily {again}, I loved it, it was well worth it,
        I enjoyed it a lot, it won me over, I came away delighted"""),
    NEG: L("""I would not {again}, I regret {regret}, it was not worth it,
        it did not work for me, it was a letdown, I came away disappointed"""),
}
STAR_WORDS = {1: "One star", 2: "Two stars", 3: "Three stars", 4: "Four stars",
              5: "Five stars"}
VERDICTS = {
    POS: {
        "all": ["{stars} out of 5 stars.", "{Stars}.", "I loved it.", "Highly recommended.",
                "I would recommend it.", "I would recommend it to anyone.",
                "Overall: positive.", "Verdict: positive.", "My feelings were positive.",
                "Two thumbs up.", "Rating: {ten}/10.", "Recommended.",
                "{stars_word} out of five.", "A solid {stars} out of 5.",
                "Overall, a positive experience.", "{ten} out of 10.",
                "My verdict: positive."],
        "movie": ["A must-see.", "Go and see it.", "Worth the ticket price."],
        "restaurant": ["I will be back.", "Worth every penny.", "Book a table now."],
        "book": ["A must-read.", "Do read it.", "Worth every page."],
        "product": ["Worth every penny.", "Money well spent.", "Buy it."],
    },
    NEG: {
        "all": ["{stars} out of 5 stars.", "{Stars}.", "Avoid it.", "Skip this one.",
                "I would not recommend it.", "Overall: negative.", "Verdict: negative.",
                "My feelings were negative.", "Thumbs down.", "Rating: {ten}/10.",
                "Not recommended.", "Stay away.", "{stars_word} out of five.",
                "Overall, a negative experience.", "{ten} out of 10.",
                "My verdict: negative."],
        "movie": ["A waste of time.", "Save your money.", "Wait for something better."],
        "restaurant": ["I will not be back.", "Eat somewhere else.", "A waste of money."],
        "book": ["A waste of time.", "Do not bother.", "Read something else."],
        "product": ["A waste of money.", "Save your money.", "I sent it back."],
    },
    MIXED: {
        "all": ["3 out of 5 stars.", "Three stars.", "My feelings were mixed.",
                "Overall: mixed.", "Verdict: mixed.", "A mixed bag.", "Rating: {ten}/10.",
                "Three out of five.", "Recommended, with reservations.",
                "Overall, a mixed experience.", "My verdict: mixed."],
        "movie": [], "restaurant": [], "book": [], "product": [],
    },
}


def review_subject(rng, pools, domain):
    """Pick the reviewed thing and the words that refer to it and set the scene."""
    s = {"day": rng.choice(DAYS), "month": rng.choice(MONTHS),
         "city": rng.choice(pools["cities"]), "person": rng.choice(pools["people"]),
         "companion": rng.choice(COMPANIONS), "time": rng.choice(TIMES_AGO),
         "genre": rng.choice(MOVIE_GENRES), "occasion": rng.choice(OCCASIONS),
         "street": rng.choice(STREETS), "cuisine": rng.choice(CUISINES),
         "ordinal": rng.choice(ORDINALS[1:6]), "book_genre": rng.choice(BOOK_GENRES),
         "relative": rng.choice(RELATIVES), "colour": rng.choice(COLOURS)}
    s["companion_cap"] = cap(s["companion"])
    s["story"] = rng.choice(STORY_HEROES) + " who " + rng.choice(STORY_QUESTS)
    s["when"], s["hours"] = rng.choice(STORY_TIMES), rng.choice(L("two, three"))
    s["dish"], s["dish2"] = rng.sample(DISHES, 2)
    s["price"], s["pages"] = rng.randint(9, 60), rng.randint(18, 70) * 10
    s["days"] = rng.choice(NUMBER_WORDS[2:8])
    s["genre_a"], s["book_genre_a"] = a_an(s["genre"]), a_an(s["book_genre"])
    if domain == "product":
        cat = s["cat"] = rng.choice(list(CATEGORIES))
        s["name"] = "the " + rng.choice(pools["products"]) + " " + cat
        refs, nouns = ["the " + cat, "this " + cat, "it"], [cat, "purchase"]
    else:
        s["name"] = rng.choice(pools[domain + "s"])
        refs, nouns = REFS[domain], NOUNS[domain]
    s["ref"] = rng.choice(refs)
    s["Ref"], s["Name"], s["noun"] = cap(s["ref"]), cap(s["name"]), rng.choice(nouns)
    return s


def pick_adj(rng, asp, pol):
    own = asp["good"] if pol == POS else asp["bad"]
    return rng.choice(own) if rng.random() < 0.55 else rng.choice(
        GOOD if pol == POS else BAD)


def adverb(rng, pol, adj):
    if adj not in GOOD + BAD or rng.random() < 0.6:
        return ""
    return rng.choice(GOOD_ADVERBS if pol == POS else BAD_ADVERBS) + " "


def aspect_clause(rng, asp, pol, tense):
    """A lower-case clause judging one aspect: 'the plot was far from gripping'."""
    a, v = asp["name"], be(asp["plural"], tense)
    r = rng.random()
    if r < 0.45:
        adj = pick_adj(rng, asp, pol)
        return f"{a} {v} {adverb(rng, pol, adj)}{adj}"
    if r < 0.65:
        return negated_clause(rng, asp, pol, tense)
    return rng.choice(VERB_FRAMES[pol]).format(a=a, v=v)


def negated_clause(rng, asp, pol, tense):
    """Negate an adjective of the opposite pole: 'the plot was far from gripping' is negative."""
    frames, generic = NEGATED_FRAMES[pol]
    frame = rng.choice(frames)
    opposite = asp["bad"] if pol == POS else asp["good"]
    if rng.random() < 0.3:
        opposite = L(generic)
    return frame.format(a=asp["name"], v=be(asp["plural"], tense), x=rng.choice(opposite))


def aspect_sentence(rng, deck, pol, tense):
    """One or two aspects of the same polarity, joined in one of several ways."""
    first = deck.pop()
    c1 = aspect_clause(rng, first, pol, tense)
    if rng.random() < 0.5:
        return cap(c1) + "."
    second = deck.pop()
    c2 = aspect_clause(rng, second, pol, tense)
    r = rng.random()
    if r < 0.3:
        return f"{cap(c1)}, and {c2}."
    if r < 0.45:
        return f"{cap(c1)}; {c2}."
    if r < 0.6:
        return f"{cap(c1)}. {'Better' if pol == POS else 'Worse'} still, {c2}."
    if r < 0.75:
        adj = rng.choice(GOOD if pol == POS else BAD)
        return f"Both {first['name']} and {second['name']} {be(True, tense)} {adj}."
    if r < 0.85 and pol == NEG:
        return (f"Neither {first['name']} nor {second['name']} "
                f"{be(second['plural'], tense)} any good.")
    if r < 0.85:
        return (f"Not only {be(first['plural'], tense)} {first['name']} "
                f"{rng.choice(first['good'])}, but {second['name']} "
                f"{be(second['plural'], tense)} {pick_adj(rng, second, POS)} too.")
    return f"{cap(c1)}. {cap(c2)}."


def overall_sentence(rng, s, domain, pol):
    good, bad = rng.choice(GOOD), rng.choice(BAD)
    slots = dict(s, good=good, bad=bad, a_good=a_an(good), a_bad=a_an(bad),
                 adv=adverb(rng, pol, good if pol == POS else bad),
                 good_neg=rng.choice(L("great, good, special, memorable, enjoyable")))
    return rng.choice(OVERALL[pol]["all"] + OVERALL[pol][domain]).format(**slots)


def overall_clause(rng, s, pol, tense):
    """A lower-case whole-thing judgement usable after 'but'."""
    if pol == POS:
        forms = ["{ref} as a whole {v} {x}", "everything else {v} {x}",
                 "the rest {v} {x}", "I loved it overall", "I enjoyed it from start to finish"]
    else:
        forms = ["{ref} as a whole {v} {x}", "everything else {v} {x}", "the rest {v} a mess",
                 "I did not enjoy it overall", "the whole thing never came together"]
    x = rng.choice(GOOD if pol == POS else BAD)
    ref = "the " + s["cat"] if s["ref"] == "it" else s["ref"]
    return rng.choice(forms).format(ref=ref, v=be(False, tense), x=x)


def contrast_sentence(rng, s, deck, domain, pol, tense):
    """A minor point of the opposite polarity, overruled by the main one."""
    opp = aspect_clause(rng, deck.pop(), NEG if pol == POS else POS, tense)
    main = (aspect_clause(rng, deck.pop(), pol, tense) if rng.random() < 0.5
            else overall_clause(rng, s, pol, tense))
    ending = rng.choice(ENDINGS[pol]).format(**DOMAIN_WORDS[domain])
    r = rng.random()
    if r < 0.25:
        return f"{cap(opp)}, but {main}."
    if r < 0.45:
        return f"Although {opp}, {main}."
    if r < 0.65:
        lead = rng.choice(["in the end", "on balance", "all in all"])
        return f"{cap(opp)}, but {main}; {lead} {ending}."
    if r < 0.8:
        tail = ("that was my only complaint" if pol == POS
                else "that was the only good thing about it")
        return f"{cap(opp)}, but {tail}."
    if r < 0.9:
        return f"Sure, {opp}, but {main}."
    return f"{cap(opp)}; still, {ending}."


# Verdicts that name the polarity in one word. Half of all verdicts take one of these
# forms, so that predicting the word "positive"/"negative" after a review is a frequent,
# high-loss step in pretraining: the skill that the sentiment prompt later steers.
POLAR_VERDICTS = ["Overall: {w}.", "Verdict: {w}.", "My verdict: {w}.", "In short: {w}.",
                  "My feelings were {w}.", "Overall, a {w} experience.", "In a word: {w}.",
                  "All in all, {w}."]
POLAR_WORDS = {POS: "positive", NEG: "negative", MIXED: "mixed"}


def make_verdict(rng, domain, pol):
    if rng.random() < 0.5:
        return rng.choice(POLAR_VERDICTS).format(w=POLAR_WORDS[pol])
    stars = {POS: rng.choice([4, 5]), NEG: rng.choice([1, 2]), MIXED: 3}[pol]
    ten = {POS: rng.randint(8, 10), NEG: rng.randint(1, 3), MIXED: rng.randint(5, 6)}[pol]
    return rng.choice(VERDICTS[pol]["all"] + VERDICTS[pol][domain]).format(
        stars=stars, Stars=STAR_WORDS[stars], ten=ten, stars_word=cap(NUMBER_WORDS[stars]))


def make_review(rng, pools, domain, pol):
    """Return (subject, body sentences, verdict or None) for one review."""
    s = review_subject(rng, pools, domain)
    deck = list(ASPECTS[domain])          # aspects are used at most once per review
    rng.shuffle(deck)
    tense = "present" if domain == "book" and rng.random() < 0.4 else "past"
    if pol != MIXED and rng.random() < 0.2:            # a one-line review
        body = [overall_sentence(rng, s, domain, pol)]
        return s, body, (make_verdict(rng, domain, pol) if rng.random() < 0.95 else None)
    body = []
    if rng.random() < 0.4:
        body.append(rng.choice(OPENERS[domain]).format(**s))
    if rng.random() < 0.2:
        body.append(rng.choice(NEUTRAL[domain]).format(**s))
    if pol == MIXED:
        parts = [aspect_sentence(rng, deck, POS, tense),
                 aspect_sentence(rng, deck, NEG, tense)]
        rng.shuffle(parts)
        if rng.random() < 0.5:
            good = aspect_clause(rng, deck.pop(), POS, tense)
            bad = aspect_clause(rng, deck.pop(), NEG, tense)
            parts = [rng.choice([f"{cap(good)}, but {bad}.", f"{cap(bad)}, but {good}."])]
        body += parts + [rng.choice(MIXED_SUMMARIES).format(**s)]
    else:
        units = rng.choice([1, 1, 1, 2, 2, 3])
        for _ in range(units):
            body.append(aspect_sentence(rng, deck, pol, tense))
        if rng.random() < 0.3:
            body.insert(rng.randint(len(body) - units, len(body)),
                        contrast_sentence(rng, s, deck, domain, pol, tense))
        if rng.random() < 0.4 or len(body) == 1:
            body.append(overall_sentence(rng, s, domain, pol))
    return s, body, (make_verdict(rng, domain, pol) if rng.random() < 0.95 else None)


def review_doc(rng, pools):
    domain = rng.choices(list(ASPECTS), weights=[30, 25, 20, 25])[0]
    pol = rng.choices([POS, NEG, MIXED], weights=[45, 45, 10])[0]
    _, body, verdict = make_review(rng, pools, domain, pol)
    text = " ".join(body)
    if len(body) == 1 and verdict is None and rng.random() < 0.25:
        text = text.rstrip(".!")   # a casual one-liner without a full stop
    if verdict:
        text += ("\n" if rng.random() < 0.25 else " ") + verdict
    return text


# Reader comments: many short opinions on one thing, each closed by a one-word polar
# verdict. A full review can often be judged from one easy overall sentence ("The film
# was terrible."), so its verdict teaches little about the rarer cues; a comment has one
# cue, usually an aspect judgement ("The soup was cold.", "The twist was far from
# obvious."), and its verdict depends on that cue alone.
COMMENT_HEADS = ["Comments on {name}", "What readers said about {name}",
                 "Short reviews of {name}", "Quick takes on {name}"]


def comment_line(rng, s, domain, pol):
    """One reader's opinion: a single judgement, then its polar verdict."""
    deck = list(ASPECTS[domain])
    rng.shuffle(deck)
    tense = "present" if domain == "book" and rng.random() < 0.4 else "past"
    r = rng.random()
    if r < 0.7:
        text = aspect_sentence(rng, deck, pol, tense)
    elif r < 0.85:
        text = contrast_sentence(rng, s, deck, domain, pol, tense)
    else:
        text = overall_sentence(rng, s, domain, pol)
    return text + " " + rng.choice(POLAR_VERDICTS).format(w=POLAR_WORDS[pol])


def comments_doc(rng, pools):
    domain = rng.choices(list(ASPECTS), weights=[30, 25, 20, 25])[0]
    s = review_subject(rng, pools, domain)
    lines = [rng.choice(COMMENT_HEADS).format(name=s["name"])]
    for _ in range(rng.randint(4, 8)):
        reader = rng.choice(pools["people"]).split()[0]
        lines.append(f"{reader}: " + comment_line(rng, s, domain, rng.choice([POS, NEG])))
    return "\n".join(lines)


# =============================================================================
# Everyday takes: short reviews in plain everyday English
# =============================================================================
# The reviews above speak the generator's own careful English. Real people write one-liners
# ("Broke the second time I used it."), idioms ("a waste of money"), complaints about what a
# thing did rather than what it was, negated praise ("not great"), negated criticism ("no
# complaints"), comparisons and hedges. A takes document is a thread of such lines about
# everyday things, each closed by a verdict, so the base meets that English with the polarity
# as a frequent, high-loss prediction right after it. Written from the generator's own word
# lists; the hand-written natural split of the sentiment task is never read for it.

# everyday things: (noun, plural?, parts that break or please, what owning it is called)
GOODS = [
    ("kettle", 0, "lid, handle, switch, base"), ("toaster", 0, "lever, dial, crumb tray"),
    ("blender", 0, "jug, lid, blades, motor"), ("headphones", 1, "headband, cable, battery, ear pads"),
    ("phone case", 0, "clip, edges, buttons"), ("charger", 0, "cable, plug, charging port"),
    ("vacuum cleaner", 0, "hose, battery, brush, filter"), ("backpack", 0, "zip, straps, seams, buckle"),
    ("jacket", 0, "zip, hood, stitching, lining"), ("boots", 1, "soles, laces, stitching, heels"),
    ("trainers", 1, "soles, laces, insoles"), ("umbrella", 0, "handle, spokes, catch"),
    ("mattress", 0, "springs, cover, edges"), ("office chair", 0, "wheels, armrests, lever, seat"),
    ("desk lamp", 0, "switch, hinge, bulb"), ("watch", 0, "strap, clasp, battery, screen"),
    ("speaker", 0, "battery, buttons, charging port"), ("printer", 0, "paper tray, ink, software"),
    ("keyboard", 0, "keys, cable, battery"), ("camera", 0, "lens cap, battery, screen, buttons"),
    ("drill", 0, "battery, chuck, charger"), ("hair dryer", 0, "cable, switch, nozzle"),
    ("suitcase", 0, "wheels, handle, zip, lock"), ("water bottle", 0, "lid, seal, straw"),
    ("frying pan", 0, "handle, coating, base"), ("towels", 1, "edges, stitching"),
    ("sofa", 0, "cushions, legs, cover"), ("tablet", 0, "screen, battery, charging port"),
    ("coffee machine", 0, "water tank, frother, drip tray"), ("bike lock", 0, "key, shackle, mount"),
    ("tent", 0, "poles, zip, pegs, seams"), ("mug", 0, "handle, glaze"),
    ("jeans", 1, "zip, seams, buttons"), ("duvet", 0, "stitching, filling"),
    ("scooter", 0, "brakes, battery, wheels"), ("router", 0, "signal, lights, app"),
]
# places and services: (noun, the things a visit is judged by)
PLACES = [
    ("hotel", "room, bed, shower, breakfast, staff, view, pool"),
    ("restaurant", "food, service, staff, portions, desserts, wine list, music"),
    ("cafe", "coffee, cakes, staff, seats, sandwiches"),
    ("takeaway", "delivery, food, chips, driver, portions"),
    ("gym", "equipment, changing rooms, classes, staff, showers"),
    ("hairdresser", "cut, colour, staff, prices"), ("cinema", "seats, screen, sound, popcorn, staff"),
    ("garage", "repair, mechanic, price, wait"), ("campsite", "pitches, showers, toilets, shop"),
    ("bakery", "bread, pastries, staff, prices"), ("dentist", "dentist, nurse, waiting room"),
    ("airline", "flight, crew, seats, food, boarding"), ("shop", "staff, prices, queue, choice"),
]
# things you watch, read, play or hear: (noun, parts)
WORKS = [
    ("film", "story, ending, acting, jokes, middle, music, effects"),
    ("book", "story, ending, characters, writing, middle, twist"),
    ("series", "story, ending, characters, acting, last episode, middle"),
    ("album", "songs, lyrics, production, voice, last track"),
    ("game", "story, controls, levels, graphics, ending"),
    ("podcast", "hosts, guests, episodes, sound"), ("play", "cast, songs, set, second half"),
    ("novel", "plot, ending, characters, prose"), ("show", "jokes, cast, host, ending"),
]
EVERYDAY_GOOD = L("""great, brilliant, amazing, awesome, lovely, gorgeous, solid, sturdy, reliable,
    comfy, comfortable, cosy, tasty, fresh, friendly, helpful, quick, smooth, handy, clever,
    perfect, spotless, beautiful, stunning, good, nice, decent, excellent, fantastic, superb,
    wonderful, cracking, spot on, first class, well made, easy to use, good value""")
EVERYDAY_BAD = L("""flimsy, cheap, broken, faulty, useless, boring, dull, slow, rude, dirty, noisy,
    cramped, stale, soggy, bland, greasy, overpriced, uncomfortable, confusing, pointless,
    tedious, clunky, awful, terrible, rubbish, poor, bad, horrible, shoddy, badly made,
    disappointing, a mess, a joke, useless, naff, dodgy, hopeless, grim""")
PART_GOOD = L("""is great, works perfectly, feels solid, is really comfy, is spot on, is so easy
    to use, has been flawless, does its job, never lets me down, is built to last""")
PART_BAD = L("""broke, snapped, cracked, came off, fell off, stopped working, gave up, died,
    leaked, ripped, came apart, jammed, wore through, went wobbly, fell to bits""")
WHEN_BROKE = L("""after a week, after two days, within a month, on the first day, the second time I
    used it, after three uses, the day after the return window closed, within an hour,
    on day one, after a fortnight, a week in, before I even got it home""")
STILL_GOING = L("""after two years, after six months, after a year of daily use, three years on,
    after months of heavy use, after a hundred washes, a year later""")
INTENSIFIERS = L("""really, very, so, super, incredibly, seriously, properly, pretty, genuinely""")
FRIENDS = L("""all my friends, my whole family, everyone at work, my mum, my neighbours, my sister,
    my flatmates, anyone who will listen""")
WAITS = L("""an hour, forty minutes, ages, over an hour, two hours, half an hour, forever""")

# judgements that suit anything: a thing, a place or a story
GENERIC_FRAMES = {
    POS: ["Love it.", "Absolutely love it!", "Loved every minute.", "{The_thing} {is} {very} {good}.",
          "{The_thing} {is} {good}.", "{The_part} {was} {very} {good}.", "Worth every penny.",
          "Money well spent.", "Can't fault it.", "No complaints at all.", "Not bad at all.",
          "Not {bad} in the slightest.", "{The_part} {was} not {bad} at all.",
          "I was not disappointed.", "Far from {bad}.", "Better than I expected.",
          "Exceeded my expectations.", "Blew me away.", "Made my day.", "A real gem.",
          "A hidden gem.", "Five stars from me.", "Couldn't be happier.",
          "Pretty good, to be honest.", "Surprisingly good.", "Not perfect, but close.",
          "Can't recommend it enough.", "Top marks.", "Lives up to the hype.",
          "Really pleased with it.", "No regrets.", "Brilliant, just brilliant.",
          "Already recommended it to {friends}."],
    NEG: ["Hated it.", "Rubbish.", "Don't bother.", "What a waste.",
          "{The_thing} {is} {very} {bad}.", "{The_thing} {is} {bad}.",
          "{The_part} {was} {very} {bad}.", "Not {good} at all.", "Not great.", "Not good.",
          "Not worth it.", "Nothing special.", "Not as {good} as I hoped.", "Far from {good}.",
          "Hardly {good}.", "{The_part} {was} not {good} at all.", "Would not recommend it.",
          "Can't recommend it.", "Never again.", "Not impressed.", "Not for me.",
          "Nowhere near as good as the reviews say.", "A total letdown.",
          "A huge disappointment.", "What a let-down.", "Avoid like the plague.",
          "A complete waste of time.", "I expected more.", "Expected much better.",
          "Should have read the reviews first.", "Meh.", "Save your money.",
          "Not worth the money."],
}
TAKE_FRAMES = {
    POS: [
        "Love it.", "Love this {thing}.", "Absolutely love it!", "Loved every minute.",
        "{The_thing} {is} {very} {good}.", "{The_part} {part_good}.", "{The_thing} {is} {good}.",
        "Does exactly what it says.", "Does the job.", "Works like a charm.", "Works a treat.",
        "Still going strong {still}.", "Still works perfectly {still}.",
        "Worth every penny.", "Money well spent.", "Great value for money.", "Bargain!",
        "Would buy again.", "Would definitely go back.", "Will be ordering again.",
        "Already recommended it to {friends}.", "Can't fault it.", "No complaints at all.",
        "Not a single complaint.", "Nothing to complain about.", "Not bad at all.",
        "Not {bad} in the slightest.", "{The_part} {was} not {bad} at all.",
        "Never had a problem with it.", "Not once has it let me down.", "I was not disappointed.",
        "Far from {bad}.", "Better than I expected.", "Much better than my old one.",
        "Way better than the last one.", "The best {thing} I have ever had.",
        "Exceeded my expectations.", "Blew me away.", "Hit the spot.", "Made my day.",
        "A real gem.", "A hidden gem.", "Five stars from me.", "Couldn't be happier.",
        "Pretty good, to be honest.", "Fairly decent for the price.", "Surprisingly good.",
        "Not perfect, but close.", "So glad I bought it.", "Does everything I need.",
        "Exactly what I was looking for.", "Can't recommend it enough.", "Top marks.",
        "Lives up to the hype.", "Ten out of ten would recommend.", "Really pleased with it.",
        "It arrived early and well packed.", "Set it up in five minutes.", "Fits perfectly.",
        "No regrets.", "I use it every day.", "Brilliant, just brilliant.",
    ],
    NEG: [
        "Hate it.", "Hated it.", "Rubbish.", "Don't bother.", "What a waste.",
        "{The_thing} {is} {very} {bad}.", "{The_thing} {is} {bad}.",
        "{The_part} {part_bad} {when}.", "It {part_bad} {when}.", "Broke the first time I used it.",
        "Fell apart within a month.", "Stopped working {when}.", "Arrived broken.",
        "Arrived damaged and late.", "Arrived with a part missing.", "Leaks everywhere.",
        "The battery barely lasts an hour.", "Takes forever to do anything.",
        "Keeps switching itself off.", "Does not do what it says.", "Doesn't work.",
        "Never worked properly.", "Waste of money.", "Save your money.", "Not worth the money.",
        "Total rip-off.", "Overpriced for what it is.", "I want my money back.",
        "Sent it straight back.", "Returned it the next day.", "Went straight in the bin.",
        "Not {good} at all.", "Not great.", "Not good.", "Not worth it.", "Nothing special.",
        "Not as {good} as I hoped.", "Far from {good}.", "Hardly {good}.",
        "{The_part} {was} not {good} at all.", "Would not recommend it.", "Can't recommend it.",
        "Never again.", "Won't be going back.", "Would not buy again.", "Not impressed.",
        "Not for me.", "Worse than my old one.", "The worst {thing} I have ever had.",
        "Not a patch on the old one.", "Nowhere near as good as the reviews say.",
        "A total letdown.", "A huge disappointment.", "What a let-down.", "Avoid like the plague.",
        "A complete waste of time.", "I expected more.", "Expected much better.",
        "Should have read the reviews first.", "Cheaply made.", "You get what you pay for.",
        "Not fit for purpose.", "Gave up on it.", "I regret buying it.", "Meh.",
        "Two days and it was already useless.", "Looked nice in the photos, that's all.",
    ],
}
PLACE_FRAMES = {
    POS: ["The {part} {was} {very} {good}.", "The staff went out of their way to help.",
          "Friendly staff and {good} {part}.", "We were seated straight away.",
          "The {part} {was} spotless.", "Can't wait to go back.", "We will definitely be back.",
          "Best {thing} in town.", "Lovely {thing}, lovely people.", "Felt like home.",
          "Could not have asked for more.", "Worth the trip.", "Nothing was too much trouble."],
    NEG: ["The {part} {was} {very} {bad}.", "We waited {wait} for our food.",
          "Waited {wait} and nobody said sorry.", "The staff ignored us.",
          "The staff were rude.", "They got our order wrong twice.", "The food came out cold.",
          "The room smelled of smoke.", "Dirty sheets and a broken shower.",
          "Tiny portions for the price.", "Noisy all night.", "Never going back.",
          "Worst {thing} in town.", "Overpriced and understaffed.", "We walked out."],
}
WORK_FRAMES = {
    POS: ["Could not put it down.", "Laughed out loud.",
          "Made me cry, in a good way.", "The {part} {was} {very} {good}.", "Hooked from the start.",
          "I read it in one sitting.", "Binged the lot in a weekend.", "The {part} blew me away.",
          "Stayed with me for days.", "Better than the first one.", "Worth every minute."],
    NEG: ["Gave up halfway.", "Couldn't finish it.", "Boring.", "Dragged on forever.",
          "Fell asleep halfway through.", "Predictable from the start.", "The {part} ruined it.",
          "The {part} {was} {very} {bad}.", "Bored to tears.", "I walked out.",
          "Not a patch on the first one.", "Two hours I will never get back.",
          "The {part} lost me completely."],
}
# a minor point of the other pole, then "but" and the point that wins
TAKE_MINOR = {
    POS: L("""a bit pricey, delivery was slow, the instructions were confusing, it is a bit small,
        the box was battered, it took a while to get going, the start is slow, it is not cheap,
        the colour is a bit off, setting it up was a faff"""),
    NEG: L("""it looks nice, the price was good, the staff were friendly, it started well,
        the box was lovely, it is a good idea, the first week was fine, it is cheap,
        the photos look great, the first chapter was good"""),
}
STAR_TAKES = {POS: ["5/5", "4/5", "Five stars", "Rated 5 out of 5", "4 stars"],
              NEG: ["1/5", "2/5", "One star", "Rated 1 out of 5", "2 stars"]}
TAKE_HEADS = ["Customer reviews", "What buyers said", "Guest reviews", "Reviews",
              "What people thought", "Latest reviews", "Verified reviews"]


def take_scene(rng):
    """Pick what a thread is about and the slots its lines can use."""
    kind = rng.choices(["good", "place", "work"], weights=[50, 25, 25])[0]
    if kind == "good":
        thing, plural, parts = rng.choice(GOODS)
        frames = {pol: TAKE_FRAMES[pol] + GENERIC_FRAMES[pol] for pol in (POS, NEG)}
    else:
        (thing, parts), plural = rng.choice(PLACES if kind == "place" else WORKS), 0
        frames = {pol: PLACE_FRAMES[pol] if kind == "place" else WORK_FRAMES[pol]
                  for pol in (POS, NEG)}
        frames = {pol: frames[pol] + GENERIC_FRAMES[pol] for pol in (POS, NEG)}
    return {"kind": kind, "thing": thing, "plural": plural, "parts": L(parts), "frames": frames}


def take_sentence(rng, scene, pol):
    """One short everyday judgement of the scene's thing."""
    part = rng.choice(scene["parts"])
    the_thing = rng.choice(["the " + scene["thing"], "this " + scene["thing"], "it"])
    if scene["plural"] and the_thing != "it":
        the_thing = the_thing.replace("this ", "these ")
    plural = scene["plural"] and the_thing != "it"
    part_plural = part.endswith("s") and not part.endswith("ss")
    tense = "present" if rng.random() < 0.5 else "past"
    slots = {"thing": scene["thing"], "The_thing": cap(the_thing), "The_part": "The " + part,
             "part": part, "is": be(plural, tense), "was": be(part_plural, tense),
             "very": rng.choice(INTENSIFIERS), "good": rng.choice(EVERYDAY_GOOD),
             "bad": rng.choice(EVERYDAY_BAD), "part_good": rng.choice(PART_GOOD),
             "part_bad": rng.choice(PART_BAD), "when": rng.choice(WHEN_BROKE),
             "still": rng.choice(STILL_GOING), "friends": rng.choice(FRIENDS),
             "wait": rng.choice(WAITS)}
    if part_plural:
        slots["part_good"] = slots["part_good"].replace("is ", "are ").replace(
            "has ", "have ").replace("feels", "feel").replace("works", "work").replace(
            "does", "do").replace("never lets", "never let")
    return rng.choice(scene["frames"][pol]).format(**slots)


def take_line(rng, scene, pol):
    """A take: one or two judgements (or a minor point overruled by 'but'), then a verdict."""
    text = take_text(rng, scene, pol)
    v = rng.random()
    if v < 0.55:
        return text + " " + rng.choice(POLAR_VERDICTS).format(w=POLAR_WORDS[pol])
    if v < 0.8:
        return text + " " + rng.choice(STAR_TAKES[pol]) + "."
    if rng.random() < 0.3:
        text = text.rstrip(".!")                       # people skip the full stop
    return rng.choice(STAR_TAKES[pol]) + ": " + text


def take_text(rng, scene, pol):
    """One or two judgements, or a minor point of the other pole overruled by 'but'."""
    r = rng.random()
    if r < 0.2:
        minor = rng.choice(TAKE_MINOR[pol])
        main = take_sentence(rng, scene, pol)
        if not main.startswith(("I ", "I'")):
            main = main[0].lower() + main[1:]
        text = f"{cap(minor)}, but {main}"
    elif r < 0.45:
        text = take_sentence(rng, scene, pol) + " " + take_sentence(rng, scene, pol)
    else:
        text = take_sentence(rng, scene, pol)
    return text


def takes_doc(rng, pools):
    scene = take_scene(rng)
    head = rng.choice(TAKE_HEADS)
    lines = [f"{head} of the {scene['thing']}" if rng.random() < 0.5 else head]
    for _ in range(rng.randint(3, 8)):
        reader = rng.choice(pools["people"]).split()[0]
        lines.append(f"{reader}: " + take_line(rng, scene, rng.choice([POS, NEG])))
    return "\n".join(lines)


# =============================================================================
# Product descriptions
# =============================================================================

LUXURY_ADVERBS = L("discreetly, effortlessly, gracefully, seamlessly, quietly, "
                   "beautifully, thoughtfully")
PLAYFUL_ACTIONS = L("""makes every day a little brighter, is ready for anything,
    never takes itself too seriously, loves an adventure as much as you do,
    just wants to be your new best friend, brings the party wherever it goes""")


def product_attributes(rng, names):
    cat = rng.choice(list(CATEGORIES))
    _, materials, features, _ = CATEGORIES[cat]
    return {"name": rng.choice(names), "category": cat,
            "material": rng.choice(materials), "colour": rng.choice(COLOURS),
            "features": rng.sample(features, rng.choice([1, 1, 2]))}


def plain_core(rng, n, c, m, col, fs, ctx):
    return rng.choice([
        f"{n} {c}. Material: {m}. Colour: {col}. Features: {', '.join(fs)}.",
        f"The {n} is {a_an(col)} {m} {c}. It is {and_list(fs)}.",
        f"{n}: {a_an(', '.join(fs))} {c} in {col} {m}.",
        f"Model {n}. Type: {c}. Material: {m}. Colour: {col}. Features: {', '.join(fs)}.",
        f"{n} {c} in {col}. Made of {m}. Features: "
        + "; ".join(f"{f} (it {FEATURE_NOTES[f]})" for f in fs) + ".",
        f"The {n} {c} comes in {col} and is made of {m}. Key features: {and_list(fs)}.",
        f"{n} ({c}). Body: {m}. Finish: {col}. Extras: {', '.join(fs)}.",
    ])


def plain_extra(rng, at, pools):
    return rng.choice([
        f"Weight: {rng.randint(2, 40) / 10} kg.",
        f"Dimensions: {rng.randint(10, 90)} x {rng.randint(10, 60)} x "
        f"{rng.randint(5, 40)} cm.",
        f"Warranty: {rng.choice(NUMBER_WORDS[1:6])} years.",
        "Assembly: none required.", "Assembly: tools included.",
        f"Made in {rng.choice(pools['cities'])}.",
        f"Ships within {rng.choice(NUMBER_WORDS[2:6])} working days.",
        "Care: wipe clean with a dry cloth.", f"Price: {rng.randint(12, 480)} dollars.",
        f"Suitable for {CATEGORIES[at['category']][3]}.",
    ])


def luxury_core(rng, n, c, m, col, fs, ctx):
    advs = rng.sample(LUXURY_ADVERBS, len(fs))
    lf = and_list([a + " " + f for a, f in zip(advs, fs)])
    return rng.choice([
        f"Exquisitely crafted from the finest {m}, the {n} {c} is {lf}, and its deep "
        f"{col} finish brings timeless elegance to {ctx}.",
        f"Indulge in the {n}, {a_an(c)} of rare refinement, shaped from {m}, dressed "
        f"in {col} and {lf}.",
        f"The {n} {c} is an ode to timeless elegance. Its {col} {m} body is {lf}, "
        f"made for those who accept nothing less than perfection.",
        f"For those who accept nothing less than perfection, there is the {n}: "
        f"{a_an(c)} of hand-finished {m} in a lustrous {col}, {lf}.",
        f"Timeless and {lf}, the {n} {c} is crafted from {m} and finished in {col} "
        f"for a life lived beautifully.",
        f"Every line of the {n} whispers quiet luxury. This {col} {c}, crafted from "
        f"{m}, is {lf}, and it will grace {ctx} for years to come.",
        f"Sumptuous {m}, a whisper of {col} and {a_an(c)} that is {lf}: the {n} is "
        f"refinement made effortless.",
    ])


def luxury_extra(rng, at, pools):
    ctx = CATEGORIES[at["category"]][3]
    return rng.choice([
        "Some pleasures are simply timeless.",
        "Every detail has been considered, so that you need consider none.",
        "It is a piece to be treasured for generations.",
        "Indulge yourself; you have earned it.", "Elegance, after all, is never loud.",
        f"Let {ctx} become a place of quiet luxury.",
        "A masterpiece of understated elegance, made to be treasured.",
        "Crafted by hand in small numbers, it is as rare as it is refined.",
        "Presented in an elegant gift box, ready to delight.",
        "Its patina will deepen gracefully with the years.",
        "Savour the ritual; the rest of the world can wait.",
        "Refined, serene and utterly assured, it asks for nothing and gives everything.",
        "It recalls the grand hotels of a more gracious age.",
    ])


def playful_core(rng, n, c, m, col, fs, ctx):
    feats = and_list(fs)
    more = (f" It's made of {m}, it's {col}, and it's {fs[1]} too!" if len(fs) > 1
            else f" It's made of {m} and it's {col}!")
    return rng.choice([
        f"Meet {n}, the super {fs[0]} {c} that {rng.choice(PLAYFUL_ACTIONS)}!" + more,
        f"Say hello to {n}! This {col} {m} {c} is {feats} and ridiculously fun.",
        f"Who says {a_an(c)} can't be fun? The {n} is {col}, made of {m} and "
        f"totally {feats}!",
        f"Made of {m}? Check! In {col}? Check! Totally {feats}? You bet! "
        f"The {n} {c} has it all.",
        f"Psst! The {n} is {a_an(col)} {m} {c}, and it's {feats}. Yes, really!",
        f"Ta-da! Here comes {n}, {a_an(feats)} {c} in {col} {m}. Go on, smile!",
        f"Knock knock! Who's there? {n}, the {col} {m} {c} that's {feats}!",
    ])


def playful_extra(rng, at, pools):
    c = at["category"]
    return rng.choice([
        f"Your old {c} called. It wants a nap.",
        "Warning: may cause spontaneous happy dances.", "Side effects include smiling.",
        "Go on, treat yourself!", f"It's basically a high five in {c} form.",
        "Your friends will be so jealous!",
        f"Boring {CATEGORIES[c][0]}? Not on our watch!",
        f"It {FEATURE_NOTES[at['features'][0]]}. How cool is that?",
        "Fun not sold separately!", "Seriously, what are you waiting for?",
        "Zero drama, all fun!", f"Best. {c.title()}. Ever.", "High fives all round!",
        "Grab one before your neighbour does!", "Cuteness level: off the charts!",
    ])


STYLES = {"plain": (plain_core, plain_extra), "luxury": (luxury_core, luxury_extra),
          "playful": (playful_core, playful_extra)}


def describe(rng, pools, at, style, max_extras):
    """A description in one style that names every attribute literally."""
    core, extra = STYLES[style]
    parts = [core(rng, at["name"], at["category"], at["material"], at["colour"],
                  at["features"], CATEGORIES[at["category"]][3])]
    for _ in range(rng.choice({1: [0, 0, 1], 2: [0, 0, 0, 0, 1, 1, 2]}[max_extras])):
        e = extra(rng, at, pools)
        if e not in parts:
            parts.append(e)
    text = " ".join(parts)
    for word in [at["name"], at["category"], at["material"], at["colour"]] + at["features"]:
        assert re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text), (word, text)
    return text


def product_doc(rng, pools):
    at = product_attributes(rng, pools["products"])
    style = rng.choice(list(STYLES))
    text = describe(rng, pools, at, style, max_extras=2)
    if rng.random() < 1 / 3:
        text = "Style: " + style + "\n" + text
    return text


def listing_card(rng, at):
    """A product card in one of several shop formats (never the describe task's "name: ... | ..." line)."""
    n, c, m, col, fs = at["name"], at["category"], at["material"], at["colour"], at["features"]
    feats = ", ".join(fs)
    return rng.choice([
        f"{n} / {c} / {m} / {col} / {feats}",
        f"Name: {n}\nCategory: {c}\nMaterial: {m}\nColour: {col}\nFeatures: {feats}",
        f"{n} ({c}) - {m}, {col}; {feats}",
        f"Item {rng.randint(100, 999)}: {n}, {a_an(c)} in {col} {m}, {and_list(fs)}.",
        f"[{n}] {c} | {m} | {col} | {feats}",
        f"Product: {n}. Kind: {c}. Made from {m}. Colour {col}. Features: {and_list(fs)}.",
    ])


ONSETS = L("b, br, c, d, dr, f, g, gr, h, j, k, kl, l, m, n, p, pr, r, s, sk, st, t, tr, v, w, z")
VOWELS = L("a, a, e, e, i, i, o, o, u, ai, ou, ia")
CODAS = ["", "", "", "", "", "n", "r", "l", "s", "x"]


def invented_name(rng, avoid):
    """A made-up name of two or three syllables ("Brailo", "Tostezu"), none of those in `avoid` (the
    tasks' held-out names): no name memorised from the rest of the corpus predicts it."""
    while True:
        syllables = [rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
                     for _ in range(rng.choice([2, 2, 2, 3]))]
        name = cap("".join(syllables))
        if name not in avoid:
            return name


def fresh_names(rng, pools, avoid):
    """The pools with this document's own made-up products, surnames and company names: a name seen (but
    for chance) in no other document, so its second mention can only be predicted by copying the first."""
    people = [rng.choice(pools["people"]).split(" ")[0] + " " + invented_name(rng, avoid)
              for _ in range(6)]                                     # a real first name, a made-up surname
    companies = [invented_name(rng, avoid) + " " + c.split(" ", 1)[1]
                 for c in rng.sample(pools["companies"], 3)]          # a made-up root, a real kind ("Telecom")
    products = [invented_name(rng, avoid) for _ in range(3)]
    return dict(pools, people=people, companies=companies, products=products)


def heldout_words(heldout):
    """Every single word of the tasks' held-out names ("Opal", "Vance"), for invented_name to avoid."""
    return {word for key in ("people", "companies", "products")
            for name in heldout[key] for word in name.split(" ")}


def listing_doc(rng, pools):
    """A shop listing: the card, the style asked for, then copy that restates the card in that style.
    Later text reusing facts stated earlier is what teaches a base to copy from its input."""
    at = product_attributes(rng, pools["products"])
    style = rng.choice(list(STYLES))
    head = rng.choice(["Style: {s}", "Tone: {s}", "Copy style: {s}", "{S} copy:"]).format(s=style, S=cap(style))
    return listing_card(rng, at) + "\n" + head + "\n" + describe(rng, pools, at, style, max_extras=1)


# =============================================================================
# News: each generator returns (headlines, lead sentence, other sentences, slots)
# =============================================================================

def last_name(person):
    return person.split(" ")[-1]


def sports_news(rng, pools):
    sport = rng.choice(list(SPORTS))
    unit, (lo, hi), venue, positions, scoring = SPORTS[sport]
    a_city, b_city = rng.sample(pools["cities"], 2)
    P, C, C2, Q = rng.sample(pools["people"], 4)
    w = rng.randint(lo, hi)
    l = w - rng.randint(1, 15) if unit == "points" else rng.randint(0, w - 1)
    a_mascot, b_mascot = rng.sample(TEAM_MASCOTS, 2)
    s = dict(A=a_city + " " + a_mascot, B=b_city + " " + b_mascot, P=P, Pl=last_name(P), C=C, C2=C2, Q=Q, w=w, l=l,
             sport=sport, unit=unit, venue=venue, pos=rng.choice(positions),
             pos2=rng.choice(positions), day=rng.choice(DAYS), month=rng.choice(MONTHS),
             league=rng.choice(LEAGUES), n=rng.randint(2, 6), city=a_city,
             crowd=f"{rng.randint(2, 60) * 1000 + rng.randint(0, 999):,}",
             score=rng.choice(scoring).format(n=rng.randint(18, 41)),
             ordinal=rng.choice(ORDINALS[:6]), injury=rng.choice(INJURIES),
             q1=rng.choice(L("""We played with real heart tonight, The players never
                 gave up, That is the best we have played all season,
                 I am proud of this group, We defended like lions""")),
             q2=rng.choice(L("""We have a lot of work to do, We simply were not good
                 enough, That one hurts, We will learn from this""")))
    fillers = [
        "'{q1},' said {A} coach {C}.", "'{q2},' admitted {B} coach {C2}.",
        "The win lifts the {A} to {ordinal} place in the {league}.",
        "The {B} have now lost {n} games in a row.", "The two sides meet again in {month}.",
        "{P}, the {A} {pos}, {score}.", "The {B} led at the break but could not hold on.",
        "Tickets for the next home game at the {city} {venue} sold out within hours.",
        "The {B} {pos2} {Q} was sent off in the second half.",
        "The {A} are now unbeaten in {n} games.",
        "Fans stayed long after the final whistle to celebrate.",
        "It was a night to remember for the {A}.", "The {B} looked tired.",
        "The {A} are top of the {league}.", "Rain made the {venue} slippery.",
    ]
    fillers += SPORT_DETAILS[sport]
    event = rng.choice(L("win, win, win, win, draw, signing, injury, title, coach, "
                         "record, stadium"))
    if event == "draw" and unit != "goals":
        event = "win"
    if event == "win":
        heads = ["{A} beat {B} {w}-{l}", "{A} edge past {B}", "{P} leads {A} past {B}",
                 "{A} too strong for {B}", "{A} cruise to {w}-{l} win over {B}",
                 "Late drama as {A} sink {B}", "{B} beaten at home by {A}"]
        lead = rng.choice([
            "The {A} beat the {B} {w}-{l} on {day} night in front of {crowd} fans.",
            "The {A} beat the {B} {w}-{l} on {day}.",
            "The {A} claimed a {w}-{l} {sport} win over the {B} on {day}.",
            "{P} {score} as the {A} beat the {B} {w}-{l}."])
    elif event == "draw":
        heads = ["{A} and {B} share the points", "{A} held to a {w}-{w} draw by {B}"]
        lead = "The {A} and the {B} drew {w}-{w} on {day} at the {city} {venue}."
        fillers = fillers[:2] + fillers[4:5] + fillers[8:9] + [
            "Both teams stay in the top half of the {league}."]
    elif event == "signing":
        heads = ["{A} sign {pos} {P}", "{P} joins {A}", "{A} land {pos} {P} from {B}"]
        lead = "The {A} have signed {pos} {P} from the {B} on a {n}-year contract."
        fillers = ["{Pl} {score} in the final game of last season.",
                   "'I cannot wait to get started,' said {Pl}.", "The fee was not disclosed.",
                   "Coach {C} called {Pl} the missing piece of the team."]
    elif event == "injury":
        heads = ["Injury blow for {A} as {P} ruled out", "{A} lose {P} to {injury} injury"]
        lead = "{A} {pos} {P} will miss the next {n} weeks with a {injury} injury."
        fillers = ["The {A} face the {B} on {day}.",
                   "'{Pl} is a huge loss for us,' said coach {C}.",
                   "{Pl} was hurt in the second half of last week's win.",
                   "The club hopes {Pl} will be back in time for the {league} final."]
    elif event == "title":
        heads = ["{A} clinch {league} title", "Champions! {A} win the {league}"]
        lead = "The {A} won the {league} on {day} with a {w}-{l} victory over the {B}."
        fillers = fillers[:1] + fillers[5:6] + [
            "It is the first title for the club in {n} years.",
            "Thousands of fans filled the streets of {city} to celebrate."]
    elif event == "record":
        heads = ["{P} breaks {A} scoring record", "Record night for {P}"]
        lead = "{A} {pos} {P} became the club's all-time top scorer on {day}."
        fillers = ["{Pl} {score} in the win over the {B}.",
                   "'{q1},' said coach {C}.", "The old record had stood for {n} decades.",
                   "The crowd at the {city} {venue} gave {Pl} a standing ovation."]
    elif event == "stadium":
        heads = ["{A} unveil plans for new {venue}", "New home for {A}"]
        lead = "The {A} have unveiled plans for a new {n}0,000-seat {venue} in {city}."
        fillers = ["Building work could start in {month}.",
                   "Fans will be asked to help choose its name.",
                   "The club has played at its current ground for a hundred years.",
                   "'This is a great day for {city},' said coach {C}."]
    else:
        heads = ["{A} part ways with coach {C}", "{A} sack coach {C}"]
        lead = "The {A} have parted ways with head coach {C} after {n} defeats in a row."
        fillers = ["The club said a new coach would be named within weeks.",
                   "The {A} sit near the bottom of the {league}.",
                   "Assistant coach {C2} will take charge for the game against the {B} "
                   "on {day}."]
    return heads, lead, fillers, s


def science_news(rng, pools):
    field, title, head, found = rng.choice(DISCOVERIES)
    city = rng.choice(pools["cities"])
    inst = rng.choice(["the University of {c}", "the {c} Institute of Technology",
                       "{c} University", "the {c} Research Centre"]).format(c=city)
    P, Q = rng.sample(pools["people"], 2)
    s = dict(P=P, Pl=last_name(P), Q=Q, inst=inst, Inst=cap(inst), field=field,
             Field=cap(field), title=title, Title=cap(title), a_title=a_an(title),
             head=head, found=found.format(city=city), journal=rng.choice(JOURNALS),
             day=rng.choice(DAYS), n=rng.choice(NUMBER_WORDS[2:9]), city=city,
             pages=rng.randint(12, 90),
             verb=rng.choice(L("found, shown") if found.startswith("that")
                             else L("found, discovered, identified")),
             q=rng.choice(L("""We were genuinely surprised, This opens up a whole new
                 field, It took us years to be sure, Nobody expected to find this,
                 There is still a lot we do not understand, The data were clearer than
                 we hoped""")))
    s.update(target=rng.choice(MISSION_TARGETS), prize=rng.choice(PRIZES),
             topic=rng.choice(PRIZE_TOPICS), place=rng.choice(EXPEDITION_PLACES),
             months=rng.choice(NUMBER_WORDS[2:13]))
    event = rng.choice(L("discovery, discovery, discovery, discovery, mission, prize, "
                         "expedition"))
    if event == "mission":
        heads = ["Satellite built in {city} launched to study {target}",
                 "Space probe heads off to study {target}"]
        lead = "A probe built at {inst} was launched on {day} to study {target}."
        fillers = ["The probe will take {n} years to reach its target.",
                   "'{q},' said mission scientist {P}.",
                   "Its cameras will send back thousands of images.",
                   "The mission cost less than a new hospital, {P} said.",
                   "Engineers at {inst} cheered as the rocket lifted off."]
        s["q"] = rng.choice(L("Years of work went into this, The launch was perfect, "
                              "Now the real science begins"))
        return heads, lead, fillers, s
    if event == "prize":
        heads = ["{P} wins {prize}", "Top science prize for {P}",
                 "{prize} goes to {P}"]
        lead = "Professor {P} of {inst} has won the {prize} for work on {topic}."
        fillers = ["The prize comes with a medal and a research grant.",
                   "'I share this with my whole team,' said {Pl}.",
                   "{Pl} has spent {n} years studying {topic}.",
                   "The award will be presented in {city} in the spring."]
        return heads, lead, fillers, s
    if event == "expedition":
        heads = ["Scientists return from {place}", "{months}-month expedition ends"]
        lead = ("A team from {inst} has returned from {months} months in {place} with "
                "hundreds of samples.")
        s["title"] = rng.choice(L("geologist, biologist, ecologist, glaciologist, "
                                  "archaeologist"))
        fillers = ["The team was led by {title} {P}.",
                   "'{q},' said {P}.", "The samples will be studied over the next year.",
                   "Bad weather cut the trip short by two weeks.",
                   "The expedition was funded by the National Science Fund."]
        s["q"] = rng.choice(L("It was hard work but worth it, We saw things nobody has "
                              "seen before, The cold was brutal"))
        return heads, lead, fillers, s
    heads = ["Scientists discover {head}", "{city} team finds {head}",
             "Researchers report {head}", "New study reveals {head}",
             "{Field} breakthrough: {head}"]
    lead = rng.choice(["A team led by {title} {P} at {inst} has {verb} {found}.",
                       "Researchers at {inst} say they have {verb} {found}.",
                       "{Title} {P} and colleagues have {verb} {found}."])
    fillers = [
        "The results were published on {day} in {journal}.", "'{q},' said {P}.",
        "The team spent {n} years collecting samples and checking the data.",
        "Other scientists called the finding exciting but said more work is needed.",
        "{Q}, {a_title} who was not involved in the study, called it remarkable.",
        "The next step, {P} said, is to repeat the experiment on a larger scale.",
        "The work was funded by the National Science Fund.",
        "The team now plans to share its data with other laboratories.",
        "{Inst} said the discovery could lead to new research projects.",
        "The discovery has surprised many in the field of {field}.",
        "More tests are planned.", "The findings surprised the team.",
        "The full study runs to {pages} pages.",
    ]
    return heads, lead, fillers, s


def business_news(rng, pools):
    C, D = rng.sample(pools["companies"], 2)
    desc, sells = COMPANY_KINDS[C.split(" ")[-1]]
    P = rng.choice(pools["people"])
    event = rng.choice(L("up, up, down, down, deal, ceo, cuts, expand, launch, dividend, "
                         "strike, merger"))
    good = event not in ("down", "cuts", "strike")
    s = dict(C=C, D=D, desc=desc, sells=sells, P=P, Pl=last_name(P),
             city=rng.choice(pools["cities"]), pct=rng.randint(2, 19),
             m=rng.randint(12, 950), day=rng.choice(DAYS), n=f"{rng.randint(2, 40) * 50:,}",
             quarter=rng.choice(ORDINALS[:4]), month=rng.choice(MONTHS),
             pts=rng.randint(10, 180), rev=rng.randint(2, 30),
             move=rng.choice(L("rose, jumped, climbed") if good else L("fell, slipped, dropped")),
             dir="higher" if good else "lower",
             trend="grown steadily" if good else "slowed",
             expect="a smaller gain" if good else "a stronger quarter",
             mood="Investors welcomed the news." if good else "Investors were unimpressed.",
             q=rng.choice(L("""This was a strong quarter for us, Customers keep coming
                 back, We are investing for the long term""") if good else L("""This has
                 been a difficult year, We are taking steps to cut costs, The market is
                 tough right now""")))
    fillers = [
        "Shares in the {desc} {move} {pct} percent in early trading.",
        "The company, based in {city}, employs about {n} people.",
        "The main share index closed {pts} points {dir}.",
        "Demand for {sells} has {trend} this year.", "'{q},' said chief executive {P}.",
        "{mood}", "The company will report full-year results in {month}.",
        "Revenue for the year is expected to reach {rev} billion dollars.",
        "Shares {move} {pct} percent.", "Rivals are watching closely.",
        "The news surprised the market.",
    ]
    table = {
        "up": (["{C} shares jump {pct} percent after strong quarter",
                "{C} profit rises as demand grows", "Record quarter for {C}"],
               "{C} said on {day} that its profit rose {pct} percent to {m} million "
               "dollars in the {quarter} quarter."),
        "down": (["{C} profit falls as costs rise", "{C} shares slide {pct} percent",
                  "Tough quarter for {C}"],
                 "{C} said on {day} that its profit fell {pct} percent to {m} million "
                 "dollars in the {quarter} quarter."),
        "deal": (["{C} to buy {D} for {m} million dollars", "{C} agrees deal for {D}"],
                 "{C} has agreed to buy {D} for {m} million dollars, the {desc} said on "
                 "{day}."),
        "ceo": (["{C} names {P} as chief executive", "New boss for {C}"],
                "{C} has named {P} as its new chief executive, starting in {month}."),
        "cuts": (["{C} to cut {n} jobs", "{C} plans job cuts as sales slow"],
                 "{C} plans to cut {n} jobs as sales of its {sells} slow."),
        "expand": (["{C} opens new site in {city}", "{C} to create {n} jobs in {city}"],
                   "{C} will open a new site in {city}, creating {n} jobs, the {desc} said."),
        "launch": (["{C} unveils new range of {sells}", "{C} bets on new {sells}"],
                   "{C} unveiled a new range of {sells} on {day}, aimed at younger "
                   "customers."),
        "dividend": (["{C} raises dividend after record year", "Bumper payout at {C}"],
                     "{C} raised its dividend by {pct} percent on {day} after a record "
                     "year."),
        "strike": (["Workers at {C} vote to strike", "Strike threat at {C}"],
                   "Staff at {C} voted on {day} to strike over pay, the union said."),
        "merger": (["{C} and {D} in merger talks", "{C} eyes tie-up with {D}"],
                   "{C} confirmed on {day} that it is in talks to merge with {D}."),
    }
    heads, lead = table[event]
    if event in ("up", "down"):
        fillers.append("Analysts had expected {expect}.")
    if event == "deal":
        fillers.append("The deal is expected to close in {month}.")
    if event == "ceo":
        s["q"] = "I am thrilled to lead such a talented team"
    return heads, lead, fillers, s


def weather_news(rng, pools):
    city = rng.choice(pools["cities"])
    P = rng.choice(pools["people"])
    s = dict(city=city, P=P, region=rng.choice(REGIONS), day=rng.choice(DAYS),
             day2=rng.choice(DAYS), month=rng.choice(MONTHS), storm=rng.choice(FIRST_NAMES),
             mm=rng.randint(20, 120), kmh=rng.randint(60, 140), hot=rng.randint(31, 42),
             cold=rng.randint(-15, -2), cm=rng.randint(5, 40), warm=rng.randint(18, 27),
             weeks=rng.choice(NUMBER_WORDS[3:9]), pct=rng.randint(20, 45),
             level=rng.choice(L("a yellow, an amber, a red")),
             q=rng.choice(L("""We are watching this one closely, People should plan
                 ahead, This is unusual for the season, It will not last long""")))
    table = {  # event: (headlines, lead, sentences that only suit this event)
        "rain": (["Heavy rain expected in {city} this weekend",
                  "Flood warning for {city} as rivers rise", "Wet week ahead for {city}"],
                 "Up to {mm} millimetres of rain could fall on {city} by {day}.",
                 ["Several roads near the river have already been closed.",
                  "Residents are advised to keep away from flooded fields.",
                  "Take an umbrella if you go out.",
                  "The river at {city} is expected to peak on {day2}."]),
        "storm": (["Storm {storm} brings strong winds to {city}",
                   "Storm {storm} batters {city}"],
                  "Storm {storm} brought winds of up to {kmh} kilometres per hour to "
                  "{city} on {day}.",
                  ["Fallen trees blocked several roads overnight.",
                   "Ferries to the islands were cancelled.", "Winds will ease by {day2}.",
                   "Thousands of homes lost power for several hours."]),
        "heat": (["Heatwave pushes {city} temperatures to {hot} degrees",
                  "Hottest day of the year in {city}"],
                 "Temperatures in {city} are set to reach {hot} degrees on {day}.",
                 ["People are advised to drink plenty of water and stay in the shade.",
                  "Last {month} was the hottest on record for {city}.",
                  "Elderly neighbours should be checked on regularly."]),
        "snow": (["Snow closes roads around {city}", "Freezing week ahead for {city}"],
                 "Up to {cm} centimetres of snow fell on {city} overnight, and "
                 "temperatures dropped to {cold} degrees.",
                 ["Schools in {city} will stay closed on {day2}.",
                  "Gritting lorries worked through the night.",
                  "Children built snowmen in the parks of {city}."]),
        "fog": (["Fog delays flights at {city} airport", "Thick fog over {city}"],
                "Thick fog caused long delays at {city} airport on {day} morning.",
                ["Drivers are asked to slow down and use their lights.",
                 "The fog should lift by the afternoon.",
                 "Several ferries waited in the harbour until it cleared."]),
        "sun": (["Sunny spell forecast for {city}", "Warm, dry weekend for {city}"],
                "After a wet week, {city} can look forward to sunshine and temperatures "
                "of around {warm} degrees.",
                ["Light winds and clear skies are expected until {day2}.",
                 "Gardeners in {city} will welcome the dry spell.",
                 "Beaches near {city} are expected to be busy."]),
        "thunder": (["Thunderstorms to hit {city} on {day}", "Hail and lightning for {city}"],
                    "Thunderstorms and hail are expected across {city} on {day} afternoon.",
                    ["Lightning struck a church tower in {region} last night.",
                     "Power cuts are possible in rural areas.",
                     "Flash floods are possible in low-lying streets."]),
        "frost": (["Frost warning for {city} gardeners", "Cold snap grips {city}"],
                  "Temperatures in {city} fell to {cold} degrees overnight, the coldest "
                  "night of the winter so far.",
                  ["Gardeners are advised to cover young plants.",
                   "Icy pavements caused dozens of falls in {city}.",
                   "Motorists should scrape their windscreens fully before setting off."]),
        "drought": (["Dry spell worries {city} farmers", "Hosepipe ban for {city}"],
                    "{city} has had no real rain for {weeks} weeks, and its reservoirs are "
                    "only {pct} percent full.",
                    ["Farmers say the wheat harvest could be the smallest in years.",
                     "Residents are asked to take shorter showers.",
                     "The water company says supplies are safe for now."]),
        "wind": (["Gale warning for {city}", "Gales to sweep {city} on {day}"],
                 "Gales of up to {kmh} kilometres per hour will sweep across {city} on "
                 "{day}.",
                 ["Garden furniture and bins should be tied down.",
                  "The harbour bridge may close to high vehicles.",
                  "Coastal paths will be closed until the wind drops."]),
    }
    event = rng.choice(list(table))
    heads, lead, fillers = table[event]
    fillers = fillers + ["'{q},' said forecaster {P}.",
                         "The weather service will update its forecast for {city} on {day2}."]
    if event != "sun":
        fillers += ["The national weather service has issued {level} warning for {region}.",
                    "The outlook for next week is more settled."]
    if event in ("rain", "storm", "snow", "fog", "thunder", "frost", "wind"):
        fillers += ["Commuters should allow extra time for their journeys.",
                    "Drive carefully."]
    return heads, lead, fillers, s


NEWS = {"sports": sports_news, "science": science_news, "business": business_news,
        "weather": weather_news}


def make_news(rng, pools, topic, n_sentences):
    """Return (headline, body of n_sentences sentences) for one news item."""
    heads, lead, fillers, s = NEWS[topic](rng, pools)
    body = [lead] + rng.sample(fillers, min(len(fillers), n_sentences - 1))
    return cap(rng.choice(heads).format(**s)), " ".join(x.format(**s) for x in body)


def news_doc(rng, pools):
    topic = rng.choice(list(NEWS))
    head, body = make_news(rng, pools, topic, rng.choice([2, 2, 2, 2, 2, 3, 3, 4, 5]))
    lines = [head, body]
    if rng.random() < 0.25:
        lines.insert(0, rng.choice(SECTION_TAGS[topic]))
    if rng.random() < 0.08:
        lines.append(f"More {topic} news on page {rng.randint(2, 40)}.")
    return "\n".join(lines)


# =============================================================================
# The corpus
# =============================================================================

def build_corpus(rng, pools, avoid, mix=MIX):
    """N_DOCS documents in the mix's shares, shuffled; each document draws its people, companies and
    products afresh (fresh_names), so a name recurs within its document and (but for chance) in no other."""
    kinds = []
    for kind, share in mix:
        kinds += [kind] * round(N_DOCS * share / 100)
    rng.shuffle(kinds)                      # documents come out in shuffled order
    makers = {"review": review_doc, "comments": comments_doc, "takes": takes_doc,
              "product": product_doc, "listing": listing_doc, "news": news_doc}
    docs = []
    for kind in kinds:
        doc_pools = fresh_names(rng, pools, avoid)
        doc = makers[kind](rng, doc_pools)
        while any(r in doc.lower() for r in RESERVED):
            doc = makers[kind](rng, doc_pools)
        docs.append(doc)
    return docs


# =============================================================================
# Task builders: held-out entities; no verdicts, section tags or style headers
# =============================================================================

def sentiment_example(rng, pools, label):
    while True:
        domain = rng.choices(list(ASPECTS), weights=[30, 25, 20, 25])[0]
        s, body, _ = make_review(rng, pools, domain, label)
        text = " ".join(body)
        # the held-out name must appear, so the text cannot occur in the corpus
        if s["name"] in text and words(text) <= 80 and not any(
                r in text.lower() for r in RESERVED):
            return {"text": text, "label": label}


def topic_example(rng, pools, label):
    while True:
        head, body = make_news(rng, pools, label, rng.choice([2, 3, 3, 4, 5]))
        text = head + "\n" + body
        if words(text) <= 80:
            return {"text": text, "label": label}


def describe_example(rng, pools, style):
    while True:
        at = product_attributes(rng, pools["products"])
        target = describe(rng, pools, at, style, max_extras=1)
        if words(target) <= 60:
            break
    inp = (f"name: {at['name']} | category: {at['category']} | material: "
           f"{at['material']} | colour: {at['colour']} | features: "
           f"{', '.join(at['features'])} | style: {style}")
    attrs = [at["name"], at["category"], at["material"], at["colour"]] + at["features"]
    return {"input": inp, "target": target, "attributes": attrs, "style": style}


def balanced_split(labels, n, make, seen):
    """n new examples, labels as equal as possible (any remainder to the first)."""
    out = []
    for i, label in enumerate(labels):
        want = n // len(labels) + (1 if i < n % len(labels) else 0)
        got = 0
        while got < want:
            ex = make(label)
            key = ex.get("text") or ex["input"]
            if key not in seen:               # no duplicates within or across splits
                seen.add(key)
                out.append(ex)
                got += 1
    return out


def build_tasks(rng, pools):
    seen = set(p["text"] for p in PROBES)
    specs = {
        "sentiment": ([POS, NEG], lambda lab: sentiment_example(rng, pools, lab)),
        "topic": (list(NEWS), lambda lab: topic_example(rng, pools, lab)),
        "describe": (list(STYLES), lambda st: describe_example(rng, pools, st)),
    }
    tasks = {}
    for name, (labels, make) in specs.items():
        tasks[name] = {}
        for split, n in zip(("train", "val", "test"), TASK_SIZES[name]):
            if name == "sentiment" and split == "test":
                exs = balanced_split(labels, n - 2, make, seen) + [dict(p) for p in PROBES]
            else:
                exs = balanced_split(labels, n, make, seen)
            rng.shuffle(exs)
            tasks[name][split] = exs
    return tasks


# =============================================================================
# Checks, output, main
# =============================================================================

def check(corpus, docs, tasks):
    for bad in FORBIDDEN:
        assert bad not in corpus, f"forbidden string {bad!r} in the corpus"
    assert corpus.count("<|endoftext|>") == corpus.count(SEPARATOR) == len(docs) - 1
    assert all(doc and doc == doc.strip() for doc in docs)
    low = corpus.lower()
    for r in RESERVED:
        assert r not in low, f"reserved sentence {r!r} in the corpus"
    for name, splits in tasks.items():
        for split, exs in splits.items():
            for ex in exs:
                for text in (ex.get("text"), ex.get("target")):
                    if text is not None:
                        assert text not in corpus, ("task text in corpus", name, text)
                        assert not any(bad in text for bad in FORBIDDEN), text


def write_file(path, text, count, what):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = text.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)
    print(f"{path}: {count} {what}, {len(data):,} bytes")


KINDS = ("review", "comments", "takes", "product", "listing", "news")


def parse_mix(text):
    """"review=58,takes=12,..." -> (("review", 58), ...): known kinds, whole percentages adding up to 100."""
    mix = []
    for item in text.split(","):
        kind, _, pct = item.partition("=")
        if kind.strip() not in KINDS or not pct.strip().isdigit():
            raise argparse.ArgumentTypeError(f"{item!r} is not KIND=PERCENT with KIND one of {', '.join(KINDS)}")
        mix.append((kind.strip(), int(pct)))
    if sum(pct for _, pct in mix) != 100 or len({k for k, _ in mix}) != len(mix):
        raise argparse.ArgumentTypeError(f"{text!r}: name each kind once, the percentages adding up to 100")
    return tuple(mix)


def rngs_for(seed):
    """Three generators drawn from one seed: for the name pools, the corpus and the tasks."""
    master = random.Random(seed)
    return [random.Random(master.getrandbits(64)) for _ in range(3)]


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Generate the minprompt tiny-world corpus (corpus.txt) and the "
                    "sentiment / topic / describe task files, deterministically.")
    ap.add_argument("--seed", type=int, default=1337, help="random seed (default 1337)")
    ap.add_argument("--out", default="data", help="output directory (default data)")
    ap.add_argument("--mix", type=parse_mix, default=MIX, metavar="KIND=PCT,...",
                    help="corpus mix in percent of documents, kinds from " + ", ".join(KINDS) +
                         " (default " + ",".join(f"{k}={v}" for k, v in MIX) + "; the bundled "
                         "corpus); e.g. review=44,comments=8,takes=8,product=3,listing=20,news=17")
    args = ap.parse_args(argv)

    pool_rng, corpus_rng, task_rng = rngs_for(args.seed)
    pools = build_pools(pool_rng)
    docs = build_corpus(corpus_rng, pools["corpus"], heldout_words(pools["heldout"]), args.mix)
    corpus = SEPARATOR.join(docs) + "\n"
    tasks = build_tasks(task_rng, pools["heldout"])
    check(corpus, docs, tasks)

    write_file(os.path.join(args.out, "corpus.txt"), corpus, len(docs), "documents")
    for name, splits in tasks.items():
        for split, exs in splits.items():
            text = "".join(json.dumps(ex, ensure_ascii=False) + "\n" for ex in exs)
            write_file(os.path.join(args.out, "tasks", name, split + ".jsonl"),
                       text, len(exs), "examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
