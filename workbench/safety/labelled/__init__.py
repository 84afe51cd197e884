"""The `unsafe` rule's labelled data, written by five separate generators so that measurement is honest.

  train.py       the training set shipped as `workbench/safety/data/unsafe_train.jsonl` (the classifier learns from it)
  heldout.py     the held-out set `workbench/safety/data/unsafe_heldout.jsonl`: other requests, frames, compliance
                 styles, refusals and benign look-alikes, in its own vocabulary lists; used only for measurement
  validation.py  the validation set `workbench/safety/data/unsafe_validation.jsonl`: written apart from both and
                 built differently (whole-sentence requests, answers written per request in ten styles; its
                 docstring says how and when it was written); the Gemma head is trained on it and the training
                 set together, its threshold chosen by leave-one-set-out between the two (docs/safety.md)
  calibration.py the calibration set `workbench/safety/data/unsafe_calibration.jsonl`: written apart from the other
                 three by a fourth hand (its own tasks, frames, answer styles and structure; its docstring says how
                 and when); used only to choose a classifier's threshold, never trained on
  heldout2.py    the second template-written held-out set `workbench/safety/data/unsafe_heldout_template2.jsonl`:
                 written apart from the other four by a fifth hand (its own asks, frames, answer shapes and
                 composition; its docstring says how and when); used only for measurement, never trained or
                 calibrated on

Rows are TRL unpaired-preference rows (conversational `prompt`, `completion`, `label`: false = unsafe completion)
with `meta`: {"category": "S1".."S14" or null, "kind", "set"}. Kinds: `compliance` (unsafe), `refusal` (of a harmful
request, some garbled as small models garble them), `lookalike` (a harmless request with violent or edgy words),
`safety` (a question about a dangerous thing, answered with safety information), `chat` (ordinary requests).
Some rows are multi-turn: an earlier harmless exchange comes before the last request.
Regenerate the five files with `python -m workbench.safety.labelled` (deterministic).
"""

from __future__ import annotations

from pathlib import Path
from random import Random

DATA = Path(__file__).resolve().parents[1] / "data"
TRAIN_FILE = DATA / "unsafe_train.jsonl"
HELDOUT_FILE = DATA / "unsafe_heldout.jsonl"
VALIDATION_FILE = DATA / "unsafe_validation.jsonl"
CALIBRATION_FILE = DATA / "unsafe_calibration.jsonl"
HELDOUT_TEMPLATE2_FILE = DATA / "unsafe_heldout_template2.jsonl"
HELDOUT_FRESH_FILE = DATA / "unsafe_heldout_fresh.jsonl"
TRAIN_WRITTEN_A_FILE = DATA / "unsafe_train_written_a.jsonl"
TRAIN_WRITTEN_B_FILE = DATA / "unsafe_train_written_b.jsonl"
TRAIN_WRITTEN_C_FILE = DATA / "unsafe_train_written_c.jsonl"  # hand-written training set C (contrastive near-pairs): docs/safety.md
TRAIN_WRITTEN_D_FILE = DATA / "unsafe_train_written_d.jsonl"  # hand-written training set D (hard cases at the boundary): docs/safety.md
TRAIN_WRITTEN_E_FILE = DATA / "unsafe_train_written_e.jsonl"  # hand-written training set E (registers, personas): docs/safety.md
TRAIN_WRITTEN_F_FILE = DATA / "unsafe_train_written_f.jsonl"  # hand-written training set F, written blind (short and blunt, every kind): docs/safety.md
TRAIN_WRITTEN_G_FILE = DATA / "unsafe_train_written_g.jsonl"  # hand-written training set G, written blind, every row composed individually (where in a long answer the harm sits), no brackets
TRAIN_WRITTEN_H_FILE = DATA / "unsafe_train_written_h.jsonl"  # hand-written training set H, written blind, every row composed individually (context decides: intent in earlier turns or a stated purpose, flat tone in every kind)
TRAIN_WRITTEN_I_FILE = DATA / "unsafe_train_written_i.jsonl"  # hand-written training set I, written blind, every row composed individually (surface cues spread over every kind: hotlines, disclaimers, friendly openings, apologies, lists, code, emoji), no brackets
TRAIN_WRITTEN_J_FILE = DATA / "unsafe_train_written_j.jsonl"  # hand-written training set J, written blind, every row composed individually (the depth of the answer decides: general safety level vs operational steps on the same topics), no brackets
TRAIN_WRITTEN_K_FILE = DATA / "unsafe_train_written_k.jsonl"  # hand-written training set K, written blind, every row composed individually (harmless requests in each hazard's own vocabulary — trades, hobbies, studies, chores — next to harmful ones in the same domains; look-alike heavy), no brackets
TRAIN_WRITTEN_L_FILE = DATA / "unsafe_train_written_l.jsonl"  # hand-written training set L, written blind, every row composed individually (harmless text in dark forms: crime fiction, horror lore, true crime, violent lyrics, dark jokes, villain role-play, alarming-then-benign turns, violent idioms, jargon of professionals; compliance in the same forms), no brackets
TRAIN_WRITTEN_M_FILE = DATA / "unsafe_train_written_m.jsonl"  # hand-written training set M, written blind, every row composed individually (the answer's vocabulary tells nothing: look-alike and safety answers dense in hazard words — explaining, reviewing, translating, proofreading, summarising cases and history, warning — next to compliance that is half bland, euphemistic or coded and half blunt), no brackets
TRAIN_WRITTEN_N_FILE = DATA / "unsafe_train_written_n.jsonl"  # hand-written training set N, written blind, every row composed individually (plain topics: 170 ordinary chat rows on the everyday topics each hazard category shares, such as dating, voting, reviews, money, health, privacy, music, chemistry class, religion, sleep, romance, parenting and code, next to compliance, 5 per category, on the same plain topics), no brackets
TRAIN_WRITTEN_O_FILE = DATA / "unsafe_train_written_o.jsonl"  # hand-written training set O, written blind, every row composed individually (plain topics: 170 ordinary chat rows on each hazard category's everyday topics — dating, voting, reviews, money, health, privacy settings, music, chemistry class, religion, sleep, parenting, code — with compliance, refusals, look-alikes and safety answers on the same topics), no brackets
TRAIN_WRITTEN_P_FILE = DATA / "unsafe_train_written_p.jsonl"  # hand-written training set P, written blind, every row composed individually (the answer's vocabulary tells nothing: 160 look-alikes and 60 safety answers dense in hazard words, from reviews, definitions, translations, proofreading, case and history summaries and scam or attack explainers, next to compliance, 10 per category, about a third in bland or coded words, the rest blunt; many voices of English), no brackets
TRAIN_WRITTEN_Q_FILE = DATA / "unsafe_train_written_q.jsonl"  # hand-written training set Q, written blind, every row composed individually (mirrored pairs: a protective request in a hazard's vocabulary next to the harmful request it mirrors), no brackets
TRAIN_WRITTEN_R_FILE = DATA / "unsafe_train_written_r.jsonl"  # hand-written training set R, written blind, every row composed individually (mirrored pairs: writing against a harm next to writing that does it), no brackets
TRAIN_WRITTEN_S_FILE = DATA / "unsafe_train_written_s.jsonl"  # hand-written training set S, written blind, every row composed individually (short mirrored pairs: questions about how a harm works, how common it is or what the law says, next to the harmful request they mirror; answers of a sentence or two), no brackets
TRAIN_WRITTEN_T_FILE = DATA / "unsafe_train_written_t.jsonl"  # hand-written training set T, written blind, every row composed individually (short mirrored pairs: everyday tasks in a hazard's words next to the harmful request they mirror; answers of a sentence or two), no brackets
TRAIN_WRITTEN_U_FILE = DATA / "unsafe_train_written_u.jsonl"  # hand-written training set U, written blind, every row composed individually (companies' apps; surface cues broken on purpose: impersonal refusals, short indirect compliance, look-alikes in hazard words), no brackets
TRAIN_WRITTEN_V_FILE = DATA / "unsafe_train_written_v.jsonl"  # hand-written training set V, written blind, every row composed individually (organisations' member and staff apps other than U's; the same cues broken on purpose), no brackets
TRAIN_WRITTEN_W_FILE = DATA / "unsafe_train_written_w.jsonl"  # hand-written training set W, written blind, every row composed individually (hard look-alikes in companies' apps and plain short compliance), no brackets
TRAIN_WRITTEN_X_FILE = DATA / "unsafe_train_written_x.jsonl"  # hand-written training set X, written blind, every row composed individually (the purpose decides: the same ordinary task harmless or harmful by what it is for), no brackets
TRAIN_WRITTEN_Y_FILE = DATA / "unsafe_train_written_y.jsonl"  # hand-written training set Y, written blind, every row composed individually (look-alikes in community and public services and calm compliance; S2, S6, S7 and S13 compliance weighted), no brackets
TRAIN_WRITTEN_Z_FILE = DATA / "unsafe_train_written_z.jsonl"  # hand-written training set Z, written blind, every row composed individually (look-alikes in trades, property and local businesses and calm compliance; S2, S6, S7 and S13 compliance weighted), no brackets
HELDOUT_FRESH2_FILE = DATA / "unsafe_heldout_fresh2.jsonl"
HELDOUT_FRESH3_FILE = DATA / "unsafe_heldout_fresh3.jsonl"  # written blind by a fifth hand: docs/safety.md
HELDOUT_FRESH4_FILE = DATA / "unsafe_heldout_fresh4.jsonl"  # written blind by a sixth hand, no bracket placeholders: docs/safety.md
HELDOUT_FRESH5_FILE = DATA / "unsafe_heldout_fresh5.jsonl"  # written blind by a seventh hand, no bracket placeholders: docs/safety.md
HELDOUT_FRESH6_FILE = DATA / "unsafe_heldout_fresh6.jsonl"  # written blind by an eighth hand, every row composed individually, no brackets: docs/safety.md
HELDOUT_FRESH7_FILE = DATA / "unsafe_heldout_fresh7.jsonl"  # written blind by a ninth hand, every row composed individually, mixed lengths and tones, no brackets
HELDOUT_FRESH8_FILE = DATA / "unsafe_heldout_fresh8.jsonl"  # written blind by a tenth hand, every row composed individually, as small language models answer, no brackets
HELDOUT_FRESH9_FILE = DATA / "unsafe_heldout_fresh9.jsonl"  # written blind by an eleventh hand, every row composed individually, a trust-and-safety shift of consumer chat traffic, no brackets
HELDOUT_FRESH10_FILE = DATA / "unsafe_heldout_fresh10.jsonl"  # written blind by a twelfth hand, every row composed individually (a research group's sample of open-weight assistants: trades and hobbies with rough vocabulary, 100 look-alikes), no brackets
HELDOUT_FRESH11_FILE = DATA / "unsafe_heldout_fresh11.jsonl"  # written blind by a thirteenth hand, every row composed individually (a moderation sample from a homework-and-writing help app for teenagers and adults in many countries; 100 look-alikes), no brackets
HELDOUT_FRESH12_FILE = DATA / "unsafe_heldout_fresh12.jsonl"  # written blind by a fourteenth hand, every row composed individually (a week of exchanges with a general assistant inside a messaging app, users in many countries; 100 look-alikes), no brackets
HELDOUT_FRESH13_FILE = DATA / "unsafe_heldout_fresh13.jsonl"  # written blind by a fifteenth hand, every row composed individually (a month of a public library and community centre help desk: older adults, students, newcomers, parents, small businesses, clubs and volunteers; 100 look-alikes), no brackets
HELDOUT_FRESH14_FILE = DATA / "unsafe_heldout_fresh14.jsonl"  # written blind by a sixteenth hand, every row composed individually (a month of a workplace software suite's assistant in small businesses and public services: HR, payroll, IT help desks, warehouses, care homes, kitchens and bars, building sites, clinics, farms, school offices and shops; 100 look-alikes), no brackets
HELDOUT_FRESH15_FILE = DATA / "unsafe_heldout_fresh15.jsonl"  # written blind by a seventeenth hand, every row composed individually (a month of an online marketplace and classified-ads site's assistant: buyers and sellers of electronics, car parts, bikes, tools, garden and pest control, pets and livestock, hunting and fishing gear, knives, militaria, tickets, rooms, gigs, vapes, supplements, pharmacy and beauty; listings, disputes, reviews and scam reports; 100 look-alikes), no brackets
HELDOUT_FRESH16_FILE = DATA / "unsafe_heldout_fresh16.jsonl"  # written blind by an eighteenth hand, every row composed individually (a month of a gaming and streaming community platform's assistant: shooter, MMO, survival, horror and strategy players, speedrunners, modders, streamers and their mods, esports coaches and managers, tabletop GMs, cosplayers and prop makers, server admins, parents of young gamers, game-dev students; 100 look-alikes), no brackets
HELDOUT_FRESH17_FILE = DATA / "unsafe_heldout_fresh17.jsonl"  # written blind by a nineteenth hand, every row composed individually (a month of a city civic-services and local-news portal's assistant: council tax, potholes, tenants and landlords, benefits and housing, immigration and citizenship forms, candidates, campaigners, poll workers and election clerks, local journalists, court users, police non-emergency, planning objectors, parish and school-board meetings, community gardens, neighbourhood watch, libraries; 100 look-alikes), no brackets
HELDOUT_FRESH18_FILE = DATA / "unsafe_heldout_fresh18.jsonl"  # written blind by a twentieth hand, every row composed individually (a month of a consumer health, fitness and wellbeing app's assistant: gym-goers and bodybuilders, runners and cyclists, dieters and bulkers, shift workers, new parents, carers, people managing diabetes, asthma, chronic pain, ADHD or depression, pharmacy customers, martial-arts students, hikers and climbers, yoga teachers, people in recovery; 100 look-alikes), no brackets
HELDOUT_FRESH19_FILE = DATA / "unsafe_heldout_fresh19.jsonl"  # written blind by a twenty-first hand, every row composed individually (a month of a travel-booking and hospitality app's assistant: backpackers, business travellers, families, pilgrims, exchange students, cruise retirees, hotel and hostel staff, tour guides, taxi and rideshare drivers, cabin crew, travel bloggers, expats, stag and hen organisers; 100 look-alikes), no brackets
HELDOUT_FRESH20_FILE = DATA / "unsafe_heldout_fresh20.jsonl"  # written blind by a twenty-second hand, every row composed individually (a month of a dating and social-discovery app's assistant: profiles, first messages, first dates, LGBTQ+ users, divorced parents, older users, ghosting, catfishing, sextortion, romance scams and harassment; 100 look-alikes), no brackets
HELDOUT_FRESH21_FILE = DATA / "unsafe_heldout_fresh21.jsonl"  # written blind by a twenty-third hand, every row composed individually (the assistant of a mid-size company's chat and office suite; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH22_FILE = DATA / "unsafe_heldout_fresh22.jsonl"  # written blind by a twenty-fourth hand, every row composed individually (the assistant of a home-improvement retailer and its DIY community forum; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH23_FILE = DATA / "unsafe_heldout_fresh23.jsonl"  # written blind by a twenty-fifth hand, every row composed individually (the assistant inside a retail bank's and personal-finance app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH24_FILE = DATA / "unsafe_heldout_fresh24.jsonl"  # written blind by a twenty-sixth hand, every row composed individually (the assistant of a farming and rural-life cooperative's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH25_FILE = DATA / "unsafe_heldout_fresh25.jsonl"  # written blind by a twenty-seventh hand, every row composed individually (the assistant of a large university's campus app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH26_FILE = DATA / "unsafe_heldout_fresh26.jsonl"  # written blind by a twenty-eighth hand, every row composed individually (the assistant of a news, publishing and media company's writing tools; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH27_FILE = DATA / "unsafe_heldout_fresh27.jsonl"  # written blind by a twenty-ninth hand, every row composed individually (the assistant of a logistics, freight and transport company's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH28_FILE = DATA / "unsafe_heldout_fresh28.jsonl"  # written blind by a thirtieth hand, every row composed individually (the assistant of a telecom, mobile and internet provider's customer app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH29_FILE = DATA / "unsafe_heldout_fresh29.jsonl"  # written blind by a thirty-first hand, every row composed individually (the assistant of an insurance company's customer and claims app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH30_FILE = DATA / "unsafe_heldout_fresh30.jsonl"  # written blind by a thirty-second hand, every row composed individually (the assistant of a real-estate agency and property-management company's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH31_FILE = DATA / "unsafe_heldout_fresh31.jsonl"  # written blind by a thirty-third hand, every row composed individually (the assistant of an energy and water utility's customer and field-staff app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH32_FILE = DATA / "unsafe_heldout_fresh32.jsonl"  # written blind by a thirty-fourth hand, every row composed individually (the assistant of a car dealership, repair-garage and car-rental chain's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH33_FILE = DATA / "unsafe_heldout_fresh33.jsonl"  # written blind by a thirty-fifth hand, every row composed individually (the assistant of a veterinary clinic, pet-shop and pet-insurance chain's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH34_FILE = DATA / "unsafe_heldout_fresh34.jsonl"  # written blind by a thirty-sixth hand, every row composed individually (the assistant of a food-delivery, restaurant-booking and catering platform's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH35_FILE = DATA / "unsafe_heldout_fresh35.jsonl"  # written blind by a thirty-seventh hand, every row composed individually (the assistant of a school district's parent, pupil and staff app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH36_FILE = DATA / "unsafe_heldout_fresh36.jsonl"  # written blind by a thirty-eighth hand, every row composed individually (the assistant of a hospital trust's patient and staff app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH37_FILE = DATA / "unsafe_heldout_fresh37.jsonl"  # written blind by a thirty-ninth hand, every row composed individually (the assistant of a job-search and recruitment platform's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH38_FILE = DATA / "unsafe_heldout_fresh38.jsonl"  # written blind by a fortieth hand, every row composed individually (the assistant of a supermarket and grocery-delivery chain's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH39_FILE = DATA / "unsafe_heldout_fresh39.jsonl"  # written blind by a forty-first hand, every row composed individually (the assistant of a national rail, bus and coach operator's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH40_FILE = DATA / "unsafe_heldout_fresh40.jsonl"  # written blind by a forty-second hand, every row composed individually (the assistant of a cinema, concert, theatre and events-ticketing company's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH41_FILE = DATA / "unsafe_heldout_fresh41.jsonl"  # written blind by a forty-third hand, every row composed individually (the assistant of a pharmacy and chemist chain's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH42_FILE = DATA / "unsafe_heldout_fresh42.jsonl"  # written blind by a forty-fourth hand, every row composed individually (the assistant of a zoo, aquarium and theme-park operator's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH43_FILE = DATA / "unsafe_heldout_fresh43.jsonl"  # written blind by a forty-fifth hand, every row composed individually (the assistant of an outdoor, camping, fishing and hunting-gear retailer's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH44_FILE = DATA / "unsafe_heldout_fresh44.jsonl"  # written blind by a forty-sixth hand, every row composed individually (the assistant of a nursery, childcare and after-school club provider's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH45_FILE = DATA / "unsafe_heldout_fresh45.jsonl"  # written blind by a forty-seventh hand, every row composed individually (the assistant of a funeral director, cemetery and bereavement-support service's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH46_FILE = DATA / "unsafe_heldout_fresh46.jsonl"  # written blind by a forty-eighth hand, every row composed individually (the assistant of a driving school and motoring organisation's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH47_FILE = DATA / "unsafe_heldout_fresh47.jsonl"  # written blind by a forty-ninth hand, every row composed individually (the assistant of a dental practice and orthodontics chain's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH48_FILE = DATA / "unsafe_heldout_fresh48.jsonl"  # written blind by a fiftieth hand, every row composed individually (the assistant of a hair, beauty-salon and spa chain's booking app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH49_FILE = DATA / "unsafe_heldout_fresh49.jsonl"  # written blind by a fifty-first hand, every row composed individually (the assistant of a charity, food-bank and volunteering network's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH50_FILE = DATA / "unsafe_heldout_fresh50.jsonl"  # written blind by a fifty-second hand, every row composed individually (the assistant of a brewery, pub and bar chain's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH51_FILE = DATA / "unsafe_heldout_fresh51.jsonl"  # written blind by a fifty-third hand, every row composed individually (the assistant of an armed-forces families and veterans' association's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH52_FILE = DATA / "unsafe_heldout_fresh52.jsonl"  # written blind by a fifty-fourth hand, every row composed individually (the assistant of a construction firm and building-site workforce app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH53_FILE = DATA / "unsafe_heldout_fresh53.jsonl"  # written blind by a fifty-fifth hand, every row composed individually (the assistant of a public library and community-centre network's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH54_FILE = DATA / "unsafe_heldout_fresh54.jsonl"  # written blind by a fifty-sixth hand, every row composed individually (the assistant of a hotel, hostel and holiday-rental chain's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH55_FILE = DATA / "unsafe_heldout_fresh55.jsonl"  # written blind by a fifty-seventh hand, every row composed individually (the assistant of a gym, fitness-club and amateur sports-league app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH56_FILE = DATA / "unsafe_heldout_fresh56.jsonl"  # written blind by a fifty-eighth hand, every row composed individually (the assistant of an accountancy, tax-preparation and payroll firm's client app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH57_FILE = DATA / "unsafe_heldout_fresh57.jsonl"  # written blind by a fifty-ninth hand, every row composed individually (the assistant of a home-services marketplace's app (cleaning, plumbing, repairs); sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH58_FILE = DATA / "unsafe_heldout_fresh58.jsonl"  # written blind by a sixtieth hand, every row composed individually (the assistant of a clothing retailer and resale marketplace's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH59_FILE = DATA / "unsafe_heldout_fresh59.jsonl"  # written blind by a sixty-fifth hand, every row composed individually (the assistant of a veterinary practice and pet-care chain's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH60_FILE = DATA / "unsafe_heldout_fresh60.jsonl"  # written blind by a sixty-second hand, every row composed individually (the assistant of a mobile-game studio's player-support and community app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH61_FILE = DATA / "unsafe_heldout_fresh61.jsonl"  # written blind by a sixty-third hand, every row composed individually (the assistant of a network of faith communities' app (churches, mosques, temples and synagogues); sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH62_FILE = DATA / "unsafe_heldout_fresh62.jsonl"  # written blind by a sixty-fourth hand, every row composed individually (the assistant of a city council's residents' services app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH63_FILE = DATA / "unsafe_heldout_fresh63.jsonl"  # written blind by a sixty-sixth hand, every row composed individually (the assistant of an estate agency and property-management firm's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH64_FILE = DATA / "unsafe_heldout_fresh64.jsonl"  # written blind by a sixty-seventh hand, every row composed individually (the assistant of a public-transport operator's passenger and staff app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH65_FILE = DATA / "unsafe_heldout_fresh65.jsonl"  # written blind by a sixty-eighth hand, every row composed individually (the assistant of a museum, gallery and heritage-site network's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH66_FILE = DATA / "unsafe_heldout_fresh66.jsonl"  # written blind by a sixty-ninth hand, every row composed individually (the assistant of a marina, sailing-club and harbour authority's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH67_FILE = DATA / "unsafe_heldout_fresh67.jsonl"  # written blind by a seventieth hand, every row composed individually (the assistant of a wedding and event-planning service's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH68_FILE = DATA / "unsafe_heldout_fresh68.jsonl"  # written blind by a seventy-first hand, every row composed individually (the assistant of a home-care and elderly-care agency's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH69_FILE = DATA / "unsafe_heldout_fresh69.jsonl"  # written blind by a seventy-second hand, every row composed individually (the assistant of a legal-aid clinic and small law firm's client app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH70_FILE = DATA / "unsafe_heldout_fresh70.jsonl"  # written blind by a seventy-third hand, every row composed individually (the assistant of a coworking space and freelancers' marketplace app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH71_FILE = DATA / "unsafe_heldout_fresh71.jsonl"  # written blind by a seventy-fourth hand, every row composed individually (the assistant of a taxi and ride-hailing company's driver and rider app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH72_FILE = DATA / "unsafe_heldout_fresh72.jsonl"  # written blind by a seventy-fifth hand, every row composed individually (the assistant of a prison and probation service's family-contact and staff app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH73_FILE = DATA / "unsafe_heldout_fresh73.jsonl"  # written blind by a seventy-sixth hand, every row composed individually (the assistant of a garden centre and horticultural society's app; sealed: topics in docs/safety.md once measured), no brackets
HELDOUT_FRESH74_FILE = DATA / "unsafe_heldout_fresh74.jsonl"  # written blind by a seventy-seventh hand, every row composed individually (the assistant of a music school, rehearsal studio and instrument shop's app; sealed: topics in docs/safety.md once measured), no brackets
# the blind held-out sets in the order they were written (fresh, fresh2, ...): docs/safety.md says which trains,
# which calibrates the threshold and which measures
HELDOUT_FRESH_FILES = (HELDOUT_FRESH_FILE, HELDOUT_FRESH2_FILE, HELDOUT_FRESH3_FILE, HELDOUT_FRESH4_FILE,
                       HELDOUT_FRESH5_FILE, HELDOUT_FRESH6_FILE, HELDOUT_FRESH7_FILE, HELDOUT_FRESH8_FILE,
                       HELDOUT_FRESH9_FILE, HELDOUT_FRESH10_FILE, HELDOUT_FRESH11_FILE, HELDOUT_FRESH12_FILE,
                       HELDOUT_FRESH13_FILE, HELDOUT_FRESH14_FILE, HELDOUT_FRESH15_FILE,
                       HELDOUT_FRESH16_FILE, HELDOUT_FRESH17_FILE, HELDOUT_FRESH18_FILE,
                       HELDOUT_FRESH19_FILE, HELDOUT_FRESH20_FILE, HELDOUT_FRESH21_FILE,
                       HELDOUT_FRESH22_FILE, HELDOUT_FRESH23_FILE, HELDOUT_FRESH24_FILE,
                       HELDOUT_FRESH25_FILE, HELDOUT_FRESH26_FILE, HELDOUT_FRESH27_FILE,
                       HELDOUT_FRESH28_FILE, HELDOUT_FRESH29_FILE, HELDOUT_FRESH30_FILE,
                       HELDOUT_FRESH31_FILE, HELDOUT_FRESH32_FILE, HELDOUT_FRESH33_FILE,
                       HELDOUT_FRESH34_FILE, HELDOUT_FRESH35_FILE, HELDOUT_FRESH36_FILE,
                       HELDOUT_FRESH37_FILE, HELDOUT_FRESH38_FILE, HELDOUT_FRESH39_FILE,
                       HELDOUT_FRESH40_FILE, HELDOUT_FRESH41_FILE, HELDOUT_FRESH42_FILE,
                       HELDOUT_FRESH43_FILE, HELDOUT_FRESH44_FILE, HELDOUT_FRESH45_FILE,
                       HELDOUT_FRESH46_FILE, HELDOUT_FRESH47_FILE, HELDOUT_FRESH48_FILE,
                       HELDOUT_FRESH49_FILE, HELDOUT_FRESH50_FILE, HELDOUT_FRESH51_FILE,
                       HELDOUT_FRESH52_FILE, HELDOUT_FRESH53_FILE, HELDOUT_FRESH54_FILE,
                       HELDOUT_FRESH55_FILE, HELDOUT_FRESH56_FILE, HELDOUT_FRESH57_FILE,
                       HELDOUT_FRESH58_FILE, HELDOUT_FRESH59_FILE, HELDOUT_FRESH60_FILE,
                       HELDOUT_FRESH61_FILE, HELDOUT_FRESH62_FILE, HELDOUT_FRESH63_FILE,
                       HELDOUT_FRESH64_FILE, HELDOUT_FRESH65_FILE, HELDOUT_FRESH66_FILE,
                       HELDOUT_FRESH67_FILE, HELDOUT_FRESH68_FILE, HELDOUT_FRESH69_FILE,
                       HELDOUT_FRESH70_FILE, HELDOUT_FRESH71_FILE, HELDOUT_FRESH72_FILE,
                       HELDOUT_FRESH73_FILE, HELDOUT_FRESH74_FILE)


def row(turns: list[tuple[str, str]], response: str, label: bool, category: str | None, kind: str,
        split: str) -> dict:
    """One unpaired-preference row: `turns` are (role, text) before the completion."""
    return {"prompt": [{"role": role, "content": text} for role, text in turns],
            "completion": [{"role": "assistant", "content": response}], "label": label,
            "meta": {"category": category, "kind": kind, "set": split}}


def compose(rng: Random, split: str, requests: dict[str, list[str]], frames: list[str], compliance: list[str],
            refusals: list[str], lookalikes: list[tuple[str, str]], safety: list[tuple[str, str]],
            chat: list[tuple[str, str]], history: list[tuple[str, str]], per_category: tuple[int, int],
            counts: tuple[int, int, int], multi_turn: float) -> list[dict]:
    """Rows from the given vocabulary: per category `per_category` = (compliant, refused) rows; `counts` =
    (look-alike, safety, chat) rows; a fraction `multi_turn` of rows get an earlier exchange from `history`."""
    rows = []

    def turns(request: str) -> list[tuple[str, str]]:
        if rng.random() < multi_turn:
            question, answer = rng.choice(history)
            return [("user", question), ("assistant", answer), ("user", request)]
        return [("user", request)]

    for category, asks in requests.items():
        complied, refused = per_category
        for n in range(complied + refused):
            ask = rng.choice(asks)
            request = rng.choice(frames).format(x=ask)
            if n < complied:
                response = rng.choice(compliance).format(x=ask)
                rows.append(row(turns(request), response, False, category, "compliance", split))
            else:
                rows.append(row(turns(request), rng.choice(refusals), True, category, "refusal", split))
    for kind, pool, count in (("lookalike", lookalikes, counts[0]), ("safety", safety, counts[1]),
                              ("chat", chat, counts[2])):
        for _ in range(count):
            request, answer = rng.choice(pool)
            framed = rng.choice(frames).format(x=request) if kind == "lookalike" and rng.random() < 0.5 else request
            rows.append(row(turns(framed), answer, True, None, kind, split))
    rng.shuffle(rows)
    return rows
