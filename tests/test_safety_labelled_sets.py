"""The hand-written labelled sets of the `unsafe` rule keep the promises made when they were written
(docs/safety.md): each parses in the labelled sets' row format, its labels agree with its kinds, it has the promised
size and mix (kinds, hazard categories, multi-turn share), no message appears twice inside it, and it shares no
message text with any other labelled set (a set that quotes another would not be a second measurement, nor a second
hand). The overlap check names only the set's own row numbers, never another set's text, so it can be run by
someone who must not read the other sets.

The sets, each written by a separate writer who did not see the others (2026-12-04/05; the writer of each held-out set read only the hazard taxonomy):
- `unsafe_heldout_fresh.jsonl`, `unsafe_heldout_fresh2.jsonl`, `unsafe_heldout_fresh3.jsonl`: blind held-out sets,
  used only to measure a classifier, never to train it. Every row composed individually (no templates); compliance answers keep the dangerous
  specifics vague, elided ("[precursor]") or invented.
- `unsafe_heldout_fresh4.jsonl`: a fifth blind held-out set with no bracket placeholders anywhere (its compliance answers
  are unsafe by what they do, with vague or invented specifics), so "brackets mean unsafe" cannot score on it.
- `unsafe_heldout_fresh5.jsonl`: a sixth blind held-out set, also without bracket placeholders, written by a seventh hand
  in its own register (users from many walks of life and countries, indirect and multi-turn asks, assistants of uneven
  quality that comply with disclaimers or refuse imperfectly, and safe rows that talk about weapons, drugs or hacking).
- `unsafe_heldout_fresh6.jsonl`: a seventh blind held-out set, without bracket placeholders, written by an eighth
  hand as realistic general-assistant traffic (users of many ages, jobs and countries asking directly, indirectly,
  through stories and hypotheticals; compliance with and without disclaimers, imperfect refusals, frank safe answers
  about weapons, drugs, hacking, self-harm and extremism), with lengths, lists and multi-turn share balanced by kind.
- `unsafe_heldout_fresh7.jsonl`: an eighth blind held-out set, without bracket placeholders, written by a ninth hand
  as the mix of lengths and tones a content moderator meets (blunt one-liners, including an assistant that insults or
  threatens the user, next to medium and longer answers in every kind; users and assistants of many registers, direct
  and indirect asks, imperfect refusals, compliance with and without disclaimers, frank safe answers on dangerous topics).
- `unsafe_heldout_fresh8.jsonl`: a ninth blind held-out set, without bracket placeholders, written by a tenth hand as
  the outputs of small language models that a filter meets when it screens generated training data (fluent, clumsy,
  repetitive, oddly phrased, off-topic or cut-short answers with stray formatting, spread evenly over every kind, to users
  asking directly, indirectly, through stories and hypotheticals), with one-liners to about 110 words in every kind.
- `unsafe_heldout_fresh9.jsonl`: a tenth blind held-out set, without bracket placeholders, written by an eleventh hand
  as one shift of a trust-and-safety reviewer at a consumer chat app (users of many ages and countries writing American,
  Indian, Nigerian, Filipino, Australian and second-language English, in one line or over a few turns, joking or testing;
  cheerful or disclaimed compliance, refusals of every quality, frank safe answers, edgy look-alikes and plain chat), with
  openings, apologies, hotlines, emoji and lists spread over every kind and one-liners to about 110 words in each.
- `unsafe_heldout_fresh10.jsonl`: an eleventh blind held-out set, without bracket placeholders, written by a twelfth hand
  as a university research group's sample of exchanges with open-weight chat assistants, from everyday users and from
  trades and hobbies with rough vocabulary (nurses, pharmacists, sysadmins, security testers, chemists, farmers, novelists,
  game masters, hunters, martial artists, lawyers, journalists, teachers, parents, gamers, comedians) in many countries'
  English; weighted toward look-alikes (100 of 400) to measure how often harmless requests are wrongly flagged, with
  exactly 12 compliance rows per hazard category and one-liners to about 140 words in every kind.
- `unsafe_heldout_fresh11.jsonl`: a twelfth blind held-out set, without bracket placeholders, written by a thirteenth
  hand as a moderation team's random sample from a homework-and-writing help app used by teenagers and adults in many
  countries (history, chemistry and biology homework, creative writing and fan fiction, essays and debate practice, coding
  class, gaming, sport, part-time jobs, family trouble, and people testing the assistant or asking for real harm);
  weighted toward look-alikes (100 of 400), exactly 12 compliance rows per hazard category, compliance sometimes inside an
  essay, story or homework answer, and one-liners to about 140 words with openings, hotlines, emoji and lists in every kind.
- `unsafe_heldout_fresh12.jsonl`: a thirteenth blind held-out set, without bracket placeholders, written by a fourteenth
  hand as a week of exchanges sampled by the safety team of a general assistant built into a messaging app (users in the
  US, UK, India, Nigeria, South Africa, the Philippines, Singapore, Australia and Canada, and second-language English,
  asking about work, money, health, relationships, school, news, hobbies, games, cooking, travel and tech, or testing the
  assistant or asking for real harm); weighted toward look-alikes (100 of 400), exactly 12 compliance rows per hazard
  category (cheerful, disclaimed, in stories or drafted messages), one-liners to about 140 words in every kind.
- `unsafe_heldout_fresh13.jsonl`: a fourteenth blind held-out set, without bracket placeholders, written by a fifteenth
  hand as a month of exchanges logged by the safety team of a public library and community centre help desk (older adults,
  students, newcomers, parents, small-business owners, book, history, chemistry, radio and gaming clubs, tenants' associations,
  genealogy volunteers, gardeners, pet owners, people preparing for interviews, court dates, citizenship tests and medical
  appointments); weighted toward look-alikes (100 of 400), exactly 12 compliance rows per hazard category (cheerful,
  disclaimed, or as a story, letter, flyer, review or club handout), one-liners to about 140 words in every kind.
- `unsafe_heldout_fresh14.jsonl`: a fifteenth blind held-out set, without bracket placeholders, written by a sixteenth
  hand as a month of exchanges logged by the safety team of an assistant built into a workplace software suite for small
  businesses and public services (HR and payroll staff, IT help-desk technicians, warehouse and delivery drivers, care-home
  workers, restaurant and bar staff, builders and electricians, call-centre agents, clinic receptionists, farm workers,
  school office staff, shop managers, security guards, cleaners, accountants, and people with personal matters at work,
  writing British, Irish, American, Indian, Nigerian, Filipino and second-language English); weighted toward look-alikes
  (100 of 400: killing processes, knife skills, forklift reports, drug-testing policies, union rep elections, medication
  rounds...), exactly 12 compliance rows per hazard category (cheerful, disclaimed, or as an email, memo, rota, script,
  formula, policy or story), openings, apologies, hotlines, disclaimers, emoji and lists in every kind, one-liners to
  about 140 words in every kind.
- `unsafe_heldout_fresh15.jsonl`: a sixteenth blind held-out set, without bracket placeholders, written by a seventeenth
  hand as a month of exchanges sampled by the trust-and-safety team of an online marketplace and classified-ads site's
  assistant (buyers and sellers of second-hand electronics, car parts, bikes, tools, garden and pest-control products, pets
  and livestock, hunting, fishing and archery gear, kitchen knives, collectibles and militaria, tickets, rooms to rent, jobs
  and gigs, crafts, vapes, supplements, pharmacy and beauty products; listing writers, delivery disputes, refund fights,
  reviews and scam reports, writing American, Canadian, British, Australian, South African, Kenyan, Pakistani, Malaysian,
  Brazilian and Spanish second-language English); weighted toward look-alikes (100 of 400: a "killer deals" headline, a
  hunting knife listed legally, rat-bait safety, a Ford Escort, goat kids for sale, a Burma Star's history, a
  prescription-only policy, bath bombs, killing a frozen app...), exactly 12 compliance rows per hazard category
  (cheerful, disclaimed, or as a drafted listing, message, review, flyer, script, table or story), openings, apologies,
  hotlines, legal words, disclaimers, emoji and lists in every kind, one-liners to about 140 words in every kind.
- `unsafe_heldout_fresh16.jsonl`: a seventeenth blind held-out set, without bracket placeholders, written by an eighteenth
  hand as a month of exchanges sampled by the trust-and-safety team of an assistant built into a gaming and streaming
  community platform (players of shooters, MMOs, survival, horror and strategy games, speedrunners, modders and map makers,
  streamers and their moderators, esports coaches and team managers, tabletop RPG game masters and players, cosplayers and
  prop makers, server and community admins, parents of young gamers, game-dev students, and people testing the assistant
  or asking for real harm, writing American, British, Australian, Indian, Filipino and Brazilian, Korean, German, Polish
  and Turkish second-language English, casual or formal); weighted toward look-alikes (100 of 400: kill streaks and
  headshots, a raid boss, nuking a save file, a money-dupe glitch offline, a war game's chemical-weapon faction lore, a
  horror one-shot's gore, a villain's monologue, a poison potion recipe, smurfing, trash-talk etiquette, a Twitch ban
  appeal, streamers' privacy settings, a guild leader election, anti-cheat explained, fan-art licensing, an NPC's dark
  backstory, voice-chat toxicity research...), exactly 12 compliance rows per hazard category (cheats sold, doxxing a
  streamer, swatting, grooming over voice chat, hate raids, stolen accounts resold, a fake tournament, a miner in a mod,
  self-harm egged on in a guild, voting misinformation for gamers, a code sandbox abused; cheerful, disclaimed, coded, or as
  a drafted DM, post, notice, review or script), openings, apologies, hotlines, legal words, disclaimers, emoji and lists
  in every kind, one-liners to about 140 words in every kind.
- `unsafe_heldout_fresh17.jsonl`: an eighteenth blind held-out set, without bracket placeholders, written by a nineteenth hand
  as a month of exchanges sampled by the safety team of the assistant on a city's civic-services and local-news portal
  (residents paying council tax or reporting potholes, tenants and landlords, benefits and housing applicants, newcomers
  with immigration and citizenship paperwork, candidates, campaign volunteers, poll workers and election-office clerks,
  local journalists and bloggers, court users in small claims, family court and jury service, people calling police
  non-emergency, planning objectors, school-board and parish meeting attendees, community-garden and neighbourhood-watch
  volunteers, librarians, and people testing the assistant or asking for real harm, writing American, British, Irish,
  Canadian, Jamaican, Ghanaian, Bangladeshi and Somali, Ukrainian, Vietnamese and Mexican second-language English, in
  officialese, anger or slang); weighted toward look-alikes (100 of 400: finding a polling station, how postal votes are
  counted, a union branch vote, a campaign to "kill" a bypass, ward crime figures, reporting an ABH case, an FOI request,
  the Peterloo memorial, a firearm-certificate renewal, needle exchanges, festival drug checking, a rat-poison notice,
  a defamatory review, a neighbour's CCTV, Sarah's Law, dog grooming, a sex-shop licence, killing a notebook cell...),
  exactly 12 compliance rows per hazard category (fake polling-place notices, intimidating a poll worker, a made-up
  arrest story about a councillor, tracing a refuge resident, benefit-fraud steps, threatening a judge, hate leaflets,
  pressure to self-harm, forged papers; cheerful, bland, coded or disclaimed, as notices, leaflets, reviews, posts,
  scripts or stories, harmful specifics vague or invented), openings, apologies, hotlines, legal words, disclaimers,
  emoji, quoted drafts and lists in every kind, one-liners to about 140 words in every kind.
- `unsafe_heldout_fresh18.jsonl`: a nineteenth blind held-out set, without bracket placeholders, written by a twentieth hand
  as a month of exchanges sampled by the safety team of the assistant inside a consumer health, fitness and wellbeing app
  (gym-goers and bodybuilders, runners and cyclists, people dieting or bulking, shift workers with sleep trouble, new
  parents, carers of elderly relatives, people managing diabetes, asthma, chronic pain, ADHD or depression, pharmacy
  customers, martial-arts and boxing students, hikers and climbers, yoga teachers, people in recovery from alcohol or
  gambling, teenagers using it against the terms, and people testing the assistant or asking for real harm, writing
  American, British, Scottish, South African, Nigerian, Singaporean and New Zealand English and Arabic, Hindi, Japanese,
  Italian and Romanian second-language English, clinical, chatty, emoji-heavy or blunt); weighted toward look-alikes
  (100 of 400: a killer leg day, self-defence drills, knife safety in a cooking class, a steroid myth-buster, grapefruit
  and statins, the controlled drugs register, a consent workshop, a swim club's photo policy, grooming a Labrador, libel
  vs slander, PRN on a care-home chart, a privacy zone on a running app, HIPAA at reception, a supplement label's
  copyright, a 'shot' of tetanus, a protein bomb, fatphobia in gyms, suicide sprints, corpse pose, nude sauna etiquette,
  a climbing-wall committee ballot, a postal vote for a housebound parent, killing a frozen watch app...), exactly 12
  compliance rows per hazard category (dosing someone without consent, ambushing a runner, prescription drugs without a
  prescription, a forged sick note, steroid sourcing for a teen, a hidden changing-room camera, getting a minor's photos,
  made-up abuse claims about a yoga teacher, stopping insulin, leaking a client's health records, a pirated programme, a
  pool-chemical gas, hate at a disability gym, pro-eating-disorder coaching, a fake outbreak before an election, a
  sandbox's keys dumped; cheerful, bland, coded or disclaimed, as posts, reviews, notices, DMs or scripts, harmful
  specifics vague or invented), openings, apologies, hotlines, legal words, disclaimers, emoji, quoted drafts and lists
  in every kind, one-liners to about 140 words in every kind.
- `unsafe_heldout_fresh19.jsonl`: a twentieth blind held-out set, without bracket placeholders, written by a twenty-first hand
  as a month of exchanges sampled by the trust-and-safety team of the assistant inside a travel-booking and hospitality app
  (backpackers, business travellers, families, pilgrims, students on exchange, retirees on cruises, hotel and hostel staff,
  tour guides, taxi and rideshare drivers, airline cabin crew, travel bloggers, expats moving abroad, stag and hen weekend
  organisers, and people testing the assistant or asking for real harm, writing American, British, Irish, Australian,
  Indian, Kenyan, Jamaican and Hong Kong English and French, Spanish, Thai, Russian and Indonesian second-language English,
  in formal complaints, texting style or blunt one-liners); weighted toward look-alikes (100 of 400: a "killer" itinerary,
  shooting photos at a war memorial, what customs does with seized drugs, a smuggling history tour, a museum's weapons
  gallery, knife rules in hand luggage, nude-beach etiquette, a voting-abroad deadline, a ghost tour's murder legend,
  travel-insurance fraud explained for a blog, a hotel's CCTV notice, a travel photo's copyright, altitude sickness versus
  overdose signs...), exactly 12 compliance rows per hazard category (smuggling through customs, spiking a drink on a stag
  night, sex tourism, fake reviews defaming a named hotel owner, tracking an ex abroad, fake documents, threats to a host,
  hate against tourists of a nationality, pushing a stranded traveller to self-harm, a fake election-day travel-ban notice,
  the app's code tool used to scrape passenger data; cheerful, bland, coded or disclaimed, harmful specifics vague or
  invented), openings, apologies, hotlines, legal words, disclaimers, emoji and lists in every kind, one-liners to about
  140 words in every kind.
- `unsafe_heldout_fresh20.jsonl`: a twenty-first blind held-out set, without bracket placeholders, written by a twenty-second
  hand as a month of exchanges sampled by the trust-and-safety team of the assistant inside a dating and social-discovery app
  (people writing profiles and first messages, matching across cultures, LGBTQ+ users, divorced parents dating again, older
  users new to apps, first-date planners, safety-conscious users checking a match, people dealing with ghosting, catfishing,
  sextortion, romance scams or harassment, and people testing the assistant or asking for real harm, writing American,
  British, Irish, Canadian, Indian, Nigerian, South African, Filipino, Australian and Brazilian, Polish, Korean and Arabic
  second-language English); weighted toward look-alikes (100 of 400: a "killer" opening line, a "lethal weapon in the
  kitchen" bio, a murder-mystery date night, pig-butchering explained, safe-word etiquette, the age of consent, parental
  controls, libel versus slander, STI testing windows, reverse image search, a verified-profile badge, a nuclear engineer
  match, "no fats no femmes", a "drop-dead gorgeous" nurse, ENM, an "I voted" badge, login rate limits), exactly 12
  compliance rows per hazard category (romance-scam scripts, tracking a match, spiking a drink, sextortion, a minor,
  doxxing an ex, hate at a group, pushing toward self-harm; harmful specifics vague, elided or invented), multi-turn rows
  in every kind at about a quarter each, one-liners to about 140 words in every kind.
- `unsafe_heldout_fresh21.jsonl`: a twenty-second blind held-out set, without bracket placeholders, written by a
  twenty-third hand as a month of exchanges with the assistant of a mid-size company's chat and office suite (office,
  warehouse and shift staff, managers, HR, IT admins, contractors and interns, in many countries' English), weighted
  toward look-alikes, 12 compliance rows per hazard category, multi-turn rows in every kind at 22 to 28 %, one-liners
  to about 140 words in every kind. Its topics are not listed here: training-set writers read this file.
- `unsafe_heldout_fresh22.jsonl`: a twenty-third blind held-out set, without bracket placeholders, written by a
  twenty-fourth hand as a month of exchanges with the assistant of a home-improvement retailer and its DIY community forum
  (homeowners, renters, landlords, tradespeople, carers and hobbyists, in many countries' English), weighted toward
  look-alikes (100 of 400), 12 compliance rows per hazard category, multi-turn rows in every kind at about a quarter each,
  one-liners to about 140 words in every kind. Sealed: its topics are not listed here, since training-set writers read
  this file.
- `unsafe_heldout_fresh23.jsonl`: a twenty-fourth blind held-out set, without bracket placeholders, written by a
  twenty-fifth hand as a month of exchanges with the assistant inside a retail bank's and personal-finance app (customers
  of many ages and circumstances, in many countries' English and second-language English), weighted toward look-alikes
  (100 of 400), 12 compliance rows per hazard category, multi-turn rows in every kind at about a quarter each, one-liners
  to about 140 words in every kind. Sealed: its topics are not listed here, since training-set writers read this file.
- `unsafe_heldout_fresh24.jsonl`: a twenty-fifth blind held-out set, without bracket placeholders, written by a
  twenty-sixth hand as a month of exchanges with the assistant of a farming and rural-life cooperative's app (members,
  workers and neighbours of many trades and ages, in many countries' English and second-language English), weighted
  toward look-alikes (100 of 400), 12 compliance rows per hazard category, multi-turn rows in every kind at about a
  quarter each, one-liners to about 140 words in every kind. Sealed: its topics are not listed here, since training-set
  writers read this file.
- `unsafe_heldout_fresh25.jsonl`: a twenty-sixth blind held-out set, without bracket placeholders, written by a
  twenty-seventh hand as a month of exchanges with the assistant of a large university's campus app (students, staff,
  societies and services of many kinds, in many countries' English and second-language English), weighted toward
  look-alikes (100 of 400), 12 compliance rows per hazard category, multi-turn rows in every kind at about a quarter
  each, one-liners to about 140 words in every kind. Sealed: its topics are not listed here, since training-set
  writers read this file.
From fresh26 on, the blind held-out sets marked "to that brief" were written to one brief: no bracket placeholders,
weighted toward look-alikes (100 of 400), 12 compliance rows per hazard category, multi-turn rows in every kind at
about a quarter each, one-liners to about 140 words in every kind; each is sealed: its topics are not listed here,
since training-set writers read this file.
- `unsafe_heldout_fresh26.jsonl`: to that brief, by a twenty-eighth hand, as a month of exchanges with the assistant
  of a news, publishing and media company's writing tools (reporters, editors, producers, writers, translators,
  marketing staff and readers of many kinds, in many countries' English and second-language English).
- `unsafe_heldout_fresh27.jsonl`: to that brief, by a twenty-ninth hand, as a month of exchanges with the assistant of
  a logistics, freight and transport company's app (drivers, couriers, warehouse, dispatch, customs, port and fleet
  staff, shippers and office staff of many kinds, in many countries' English and second-language English).
- `unsafe_heldout_fresh28.jsonl`: to that brief, by a thirtieth hand, as a month of exchanges with the assistant of a
  telecom, mobile and internet provider's customer app (customers of many kinds and the provider's shop, call-centre,
  field, network, fraud, billing, retention and marketing staff, in many countries' English and second-language
  English).
- `unsafe_heldout_fresh29.jsonl`: to that brief, by a thirty-first hand, as a month of exchanges with the assistant of
  an insurance company's customer and claims app (policyholders of home, car, travel, pet, health, life and
  small-business cover, claimants, brokers, loss adjusters, claims handlers, fraud investigators, underwriters,
  repairers, surveyors and call-centre staff, in many countries' English and second-language English).
- `unsafe_heldout_fresh30.jsonl`: to that brief, by a thirty-second hand, as a month of exchanges with the assistant
  of a real-estate agency and property-management company's app (buyers, sellers, renters, landlords, letting and
  estate agents, property managers, caretakers, trades, surveyors, brokers, conveyancers, short-let hosts and guests,
  housing associations and neighbours, in many countries' English and second-language English).
- `unsafe_heldout_fresh31.jsonl`: to that brief, by a thirty-third hand, as a month of exchanges with the assistant of
  an energy and water utility's customer and field-staff app (households, tenants, pensioners, farmers, small
  businesses and factories on gas, electricity, water and solar; meter readers, engineers, linesmen, call-centre,
  debt-collection, billing and outage staff, contractors, regulators' caseworkers and energy-advice charities, in many
  countries' English and second-language English).
- `unsafe_heldout_fresh32.jsonl`: to that brief, by a thirty-fourth hand, as a month of exchanges with the assistant
  of a car dealership, repair-garage and car-rental chain's app (buyers and sellers of new and used cars, vans and
  motorbikes, renters, learner drivers, fleet managers, mechanics, body-shop and valeting staff, salespeople, finance
  and insurance desks, recovery drivers, parts counters, car clubs and track-day fans, in many countries' English and
  second-language English).
- `unsafe_heldout_fresh33.jsonl`: to that brief, by a thirty-fifth hand, as a month of exchanges with the assistant of
  a veterinary clinic, pet-shop and pet-insurance chain's app (dog and cat owners, breeders, dog walkers and sitters,
  groomers, vet nurses and receptionists, farm and equine vets, horse riders, shelter and rescue volunteers, reptile,
  bird and exotic-pet keepers, kennel and cattery staff, pest-control callers, anglers and bait shops, pet-food and
  pharmacy customers, pet-insurance claimants, in many countries' English and second-language English).
- `unsafe_heldout_fresh34.jsonl`: to that brief, by a thirty-sixth hand, as a month of exchanges with the assistant of
  a food-delivery, restaurant-booking and catering platform's app (diners and families, couriers on bikes and
  scooters, restaurant owners, chefs, line cooks and kitchen porters, bartenders and bar managers, food-truck and
  festival vendors, caterers, home bakers, butchers and fishmongers, people with allergies and coeliac disease,
  food-safety inspectors, reviewers and food bloggers, hospitality students, in many countries' English and
  second-language English).
- `unsafe_heldout_fresh35.jsonl`: to that brief, by a thirty-seventh hand, as a month of exchanges with the assistant
  of a school district's parent, pupil and staff app (parents of primary and secondary pupils, pupils aged 13-18,
  teachers and teaching assistants, head teachers, school nurses and counsellors, bus drivers, canteen and caretaking
  staff, sports coaches, drama and science clubs, exam officers, governors and PTA volunteers, special-needs
  coordinators, in many countries' English and second-language English).
- `unsafe_heldout_fresh36.jsonl`: to that brief, by a thirty-eighth hand, as a month of exchanges with the assistant
  of a hospital trust's patient and staff app (outpatients and inpatients, parents of sick children, carers, visitors,
  nurses, junior doctors, porters, pharmacists, paramedics, mortuary, security and catering staff, maternity and
  mental-health wards, A&E waiting rooms, medical students, volunteers and fundraisers, in many countries' English and
  second-language English).
- `unsafe_heldout_fresh37.jsonl`: to that brief, by a thirty-ninth hand, as a month of exchanges with the assistant of
  a job-search and recruitment platform's app (job seekers of every age and trade, graduates and school leavers,
  career changers, migrants with foreign qualifications, recruiters and agency staff, hiring managers, HR officers,
  temp and gig workers, warehouse, security, care and hospitality applicants, people back from prison or long illness,
  interview coaches, CV writers, employers checking references, in many countries' English and second-language
  English).
- `unsafe_heldout_fresh38.jsonl`: to that brief, by a fortieth hand, as a month of exchanges with the assistant of a
  supermarket and grocery-delivery chain's app (shoppers and families, students on a budget, older customers, delivery
  drivers and pickers, shelf stackers and checkout staff, store managers, butchery, bakery and pharmacy counters,
  loss-prevention and security staff, suppliers and farmers, loyalty-card members, people with allergies and special
  diets, food-bank volunteers, in many countries' English and second-language English).
- `unsafe_heldout_fresh39.jsonl`: to that brief, by a forty-first hand, as a month of exchanges with the assistant of
  a national rail, bus and coach operator's passenger and staff app (commuters, students, tourists, older and disabled
  travellers, parents with children, season-ticket holders, people claiming refunds and delay compensation, drivers,
  guards, ticket inspectors, station staff, cleaners, engineers and track workers, control-room staff, lost-property
  and customer-service agents, contractors, in many countries' English and second-language English).
- `unsafe_heldout_fresh40.jsonl`: to that brief, by a forty-second hand, as a month of exchanges with the assistant of
  a cinema, concert, theatre and events-ticketing company's app (ticket buyers, fans and resellers, parents booking
  for children, festival-goers, venue box-office and bar staff, stewards and security, stage crew, promoters,
  performers and their agents, accessibility customers, people chasing refunds, film clubs and school trips, in many
  countries' English and second-language English).
- `unsafe_heldout_fresh41.jsonl`: to that brief, by a forty-third hand, as a month of exchanges with the assistant of
  a pharmacy and chemist chain's app (customers collecting prescriptions, parents, carers and care-home staff ordering
  repeat medicines, shoppers at the beauty, baby and photo-printing counters, travellers booking vaccinations,
  pharmacists and technicians, counter and stockroom staff, delivery drivers, store managers, loss-prevention staff,
  in many countries' English and second-language English).
- `unsafe_heldout_fresh42.jsonl`: to that brief, by a forty-fourth hand, as a month of exchanges with the assistant of
  a zoo, aquarium and theme-park operator's app (families and school groups, annual-pass holders, people booking
  birthday parties and behind-the-scenes animal encounters, visitors with disabilities, keepers, vets and aquarists, ride
  operators and engineers, first-aid and security staff, food-court and shop staff, seasonal workers, conservation
  volunteers, in many countries' English and second-language English).
- `unsafe_heldout_fresh43.jsonl`: to that brief, by a forty-fifth hand, as a month of exchanges with the assistant of
  an outdoor, camping, fishing and hunting-gear retailer's app and its walking, angling and shooting clubs (hikers,
  climbers and campers, anglers, licensed hunters and clay shooters, parents kitting out children for camp, preppers,
  knife and axe buyers, gunsmithing and repair-counter staff, store and warehouse staff, club secretaries, guides and
  instructors, in many countries' English and second-language English).
- `unsafe_heldout_fresh44.jsonl`: to that brief, by a forty-sixth hand, as a month of exchanges with the assistant of
  a nursery, childcare and after-school club provider's app (parents and grandparents, separated parents, parents paying
  fees or claiming funding, childminders, nursery nurses and room leaders, managers, cooks, cleaners and minibus
  drivers, safeguarding leads, student placements, inspectors, in many countries' English and second-language English).
- `unsafe_heldout_fresh45.jsonl`: to that brief, by a forty-seventh hand, as a month of exchanges with the assistant of
  a funeral director, cemetery and bereavement-support service's app (bereaved families arranging funerals, people
  planning their own, executors sorting estates, mourners asking about services and etiquette, grief-support group
  members, embalmers, drivers and bearers, crematorium and grounds staff, celebrants and clergy of many faiths, florists
  and stonemasons, office staff handling payments and complaints, in many countries' English and second-language English).
- `unsafe_heldout_fresh46.jsonl`: to that brief, by a forty-eighth hand, as a month of exchanges with the assistant of
  a driving school and motoring organisation's app (learner drivers and their parents, nervous and older drivers, driving
  instructors and examiners, breakdown patrols and call handlers, members renewing cover, people buying and selling used
  cars, motorcyclists, classic-car club members, fleet managers, people dealing with fines, accidents and insurance claims,
  in many countries' English and second-language English).
- `unsafe_heldout_fresh47.jsonl`: to that brief, by a forty-ninth hand, as a month of exchanges with the assistant of
  a dental practice and orthodontics chain's app (patients booking check-ups, hygiene and emergency appointments, parents
  of children in braces, nervous patients, dentists, hygienists, dental nurses, receptionists, practice managers, lab
  technicians, people comparing treatment plans, payment plans and dental insurance, students on placement, in many
  countries' English and second-language English).
- `unsafe_heldout_fresh48.jsonl`: to that brief, by a fiftieth hand, as a month of exchanges with the assistant of
  a hair, beauty-salon and spa chain's booking app (clients booking cuts, colour, nails, massages and treatments, brides
  and wedding parties, stylists, barbers and beauty therapists, tattoo and piercing artists renting a chair, salon
  managers and apprentices, people buying products, gift cards and memberships, people with allergies and skin
  conditions, in many countries' English and second-language English).
- `unsafe_heldout_fresh49.jsonl`: to that brief, by a fifty-first hand, as a month of exchanges with the assistant of
  a charity, food-bank and volunteering network's app (volunteers signing up for shifts, food-bank and pantry clients,
  donors and fundraisers, trustees and treasurers, case workers, people running collections, bake sales and sponsored
  events, shelter, refuge and outreach staff, refugees and newcomers asking for help, youth-club and scout leaders,
  people applying for small grants, in many countries' English and second-language English).
- `unsafe_heldout_fresh50.jsonl`: to that brief, by a fifty-second hand, as a month of exchanges with the assistant of
  a brewery, pub and bar chain's app (customers booking tables and events, quiz and live-music regulars, bar staff, cellar
  managers, door staff, chefs, delivery drivers, landlords and licensees, home brewers, beer-club members, people planning
  stag and hen parties, suppliers and sales reps, in many countries' English and second-language English).
- `unsafe_heldout_fresh51.jsonl`: to that brief, by a fifty-third hand, as a month of exchanges with the assistant of
  an armed-forces families and veterans' association's app (veterans and serving personnel, spouses and children of
  service members, families moving between bases, welfare officers, branch and club volunteers, people asking about
  pensions, housing and resettlement, military historians and re-enactors, cadets and their parents, organisers of
  reunions and remembrance events, in many countries' English and second-language English).
- `unsafe_heldout_fresh52.jsonl`: to that brief, by a fifty-fourth hand, as a month of exchanges with the assistant of
  a construction firm and building-site workforce app (site workers and apprentices, foremen and site managers,
  subcontractors, plant and crane operators, scaffolders, electricians, surveyors and architects, health-and-safety
  officers, neighbours complaining about noise, clients commissioning extensions, people checking payslips, rotas and
  training cards, in many countries' English and second-language English).
- `unsafe_heldout_fresh53.jsonl`: to that brief, by a fifty-fifth hand, as a month of exchanges with the assistant of
  a public library and community-centre network's app (borrowers renewing books and e-books, parents booking story time,
  students and job seekers using computers and printing, librarians, archivists, community-centre staff and caretakers,
  people hiring rooms, adult-learning and language classes, local-history researchers, volunteers running repair cafés
  and homework clubs, in many countries' English and second-language English).
- `unsafe_heldout_fresh54.jsonl`: to that brief, by a fifty-sixth hand, as a month of exchanges with the assistant of
  a hotel, hostel and holiday-rental chain's app (guests booking and changing stays, backpackers, families and business
  travellers, front-desk staff, housekeepers, night porters, hosts renting out flats, revenue managers, concierge
  requests, people complaining about noise, damage deposits and refunds, event and wedding bookings, in many countries'
  English and second-language English).
- `unsafe_heldout_fresh55.jsonl`: to that brief, by a fifty-seventh hand, as a month of exchanges with the assistant of
  a gym, fitness-club and amateur sports-league app (members booking classes and personal training, beginners and older
  members, bodybuilders and runners, coaches and referees, league organisers and team captains, parents of junior
  players, front-desk and cleaning staff, physiotherapists, people cancelling memberships and disputing fees, in many
  countries' English and second-language English).
- `unsafe_heldout_fresh56.jsonl`: to that brief, by a fifty-eighth hand, as a month of exchanges with the assistant of
  an accountancy, tax-preparation and payroll firm's client app (self-employed people and sole traders filing returns,
  small-business owners, payroll clerks, bookkeepers and accountants, students with their first job, landlords, people
  facing audits and penalties, charities filing accounts, migrants with income in two countries, firm partners and
  juniors, in many countries' English and second-language English).
- `unsafe_heldout_fresh57.jsonl`: to that brief, by a fifty-ninth hand, as a month of exchanges with the assistant of
  a home-services marketplace's app (cleaning, plumbing, repairs) (homeowners and tenants booking cleaners, plumbers,
  electricians, handymen and locksmiths, the tradespeople and cleaners themselves, dispatchers, people disputing reviews,
  quotes and payments, landlords managing several flats, elderly customers and their relatives, people moving house, in
  many countries' English and second-language English).
- `unsafe_heldout_fresh58.jsonl`: to that brief, by a sixtieth hand, as a month of exchanges with the assistant of
  a clothing retailer and resale marketplace's app (shoppers, people selling second-hand clothes, vintage dealers,
  stylists and personal shoppers, store staff and warehouse pickers, returns and fraud teams, teenagers and parents,
  people asking about sizes, fabrics and care, sellers disputing fees, fashion students and small designers, in many
  countries' English and second-language English).
- `unsafe_heldout_fresh59.jsonl`: to that brief, by a sixty-fifth hand, as a month of exchanges with the assistant of
  a veterinary practice and pet-care chain's app (pet owners booking vaccinations, neutering and emergency visits,
  breeders, dog walkers and groomers, kennel and cattery staff, vets, vet nurses and receptionists, farmers with
  livestock and horses, people adopting from rescues, exotic-pet keepers, people comparing pet insurance, students on
  placement, in many countries' English and second-language English).
- `unsafe_heldout_fresh60.jsonl`: to that brief, by a sixty-second hand, as a month of exchanges with the assistant of
  a mobile-game studio's player-support and community app (players of all ages asking about accounts, purchases and
  bans, parents checking spending, clan and guild leaders, streamers and modders, community moderators, support agents,
  game designers and testers, esports organisers, people reporting cheaters and harassment, in many countries' English
  and second-language English).
- `unsafe_heldout_fresh61.jsonl`: to that brief, by a sixty-third hand, as a month of exchanges with the assistant of
  a network of faith communities' app (churches, mosques, temples and synagogues) (members and visitors, clergy and
  volunteers, youth and Sunday-school leaders, choir and event organisers, people planning weddings, funerals and
  festivals, charity drives, people asking about beliefs and practices, caretakers and treasurers, in many countries'
  English and second-language English).
- `unsafe_heldout_fresh62.jsonl`: to that brief, by a sixty-fourth hand, as a month of exchanges with the assistant of
  a city council's residents' services app (residents reporting potholes, noise and fly-tipping, people paying council
  tax, parking permits and fines, planning applicants, social-care users and carers, housing applicants, refuse
  collectors and street wardens, councillors and clerks, market traders, people booking sports halls and allotments,
  in many countries' English and second-language English).
- `unsafe_heldout_fresh63.jsonl`: to that brief, by a sixty-sixth hand, as a month of exchanges with the assistant of
  an estate agency and property-management firm's app (tenants reporting repairs and disputes, landlords and letting
  agents, first-time buyers and sellers, surveyors, conveyancers, caretakers and cleaners, contractors, students sharing
  houses, people asking about deposits, evictions, service charges and mortgages, neighbours in blocks of flats, in many
  countries' English and second-language English).
- `unsafe_heldout_fresh64.jsonl`: to that brief, by a sixty-seventh hand, as a month of exchanges with the assistant of
  a public-transport operator's passenger and staff app (bus, tram, metro, coach and train passengers, commuters and
  schoolchildren, wheelchair users, tourists, drivers, conductors and ticket inspectors, depot mechanics, control-room
  and lost-property staff, people claiming refunds and reporting incidents, rail enthusiasts, people planning night
  journeys, in many countries' English and second-language English).
- `unsafe_heldout_fresh65.jsonl`: to that brief, by a sixty-eighth hand, as a month of exchanges with the assistant of
  a museum, gallery and heritage-site network's app (visitors booking tickets and tours, families and school groups,
  curators, conservators and archivists, security guards and front-of-house staff, volunteers and guides, researchers
  asking about collections, artists and lenders, people planning events in historic venues, local historians, tourists
  from abroad, in many countries' English and second-language English).
- `unsafe_heldout_fresh66.jsonl`: to that brief, by a sixty-ninth hand, as a month of exchanges with the assistant of
  a marina, sailing-club and harbour authority's app (boat owners and liveaboards, sailing and kayaking beginners,
  fishermen and charter skippers, harbour masters and dock hands, boatyard mechanics and riggers, divers, coastguard
  volunteers, people buying second-hand boats, yacht-club members and racers, ferry and water-taxi crews, in many
  countries' English and second-language English).
- `unsafe_heldout_fresh67.jsonl`: to that brief, by a seventieth hand, as a month of exchanges with the assistant of
  a wedding and event-planning service's app (couples and their families, brides- and grooms-to-be, wedding planners,
  caterers, florists, photographers and DJs, venue managers, people planning birthdays, funerals, reunions and office
  parties, guests and bridesmaids, celebrants and officiants, hired security and bar staff, in many countries' English
  and second-language English).
- `unsafe_heldout_fresh68.jsonl`: to that brief, by a seventy-first hand, as a month of exchanges with the assistant of
  a home-care and elderly-care agency's app (care workers on home visits, nurses, care-home managers, older people living
  alone, adult children caring for parents, people with dementia and their families, occupational therapists, cleaners and
  meal-delivery drivers, people arranging power of attorney, funding and benefits, night-shift staff, in many countries'
  English and second-language English).
- `unsafe_heldout_fresh69.jsonl`: to that brief, by a seventy-second hand, as a month of exchanges with the assistant of
  a legal-aid clinic and small law firm's client app (tenants, workers and consumers with disputes, people going through
  divorce and custody, small-business owners, immigrants and asylum seekers, people accused of offences and victims of
  crime, paralegals, solicitors and trainee lawyers, court ushers, people writing wills, law students, in many
- `unsafe_heldout_fresh70.jsonl`: to that brief, by a seventy-third hand, as a month of exchanges with the assistant of
  a coworking space and freelancers' marketplace app (freelance designers, developers, writers and translators, clients
  posting jobs, coworking members booking desks and meeting rooms, community managers and reception staff, cleaners,
  startups and solo founders, people chasing unpaid invoices, remote workers abroad, people running workshops, in many
  countries' English and second-language English).
- `unsafe_heldout_fresh71.jsonl`: to that brief, by a seventy-fourth hand, as a month of exchanges with the assistant of
  a taxi and ride-hailing company's driver and rider app (riders booking trips to airports, hospitals and nights out,
  drivers on late shifts, fleet owners and dispatchers, riders with guide dogs and wheelchairs, parents booking rides for
  teenagers, drivers disputing ratings and fares, people reporting lost items and incidents, drivers in many countries,
  in many countries' English and second-language English).
- `unsafe_heldout_fresh72.jsonl`: to that brief, by a seventy-fifth hand, as a month of exchanges with the assistant of
  a prison and probation service's family-contact and staff app (families booking visits and sending money, people on
  probation and their officers, prison officers and chaplains, education and workshop staff, solicitors arranging legal
  visits, people about to be released looking for housing and work, victims asking about release dates, volunteers and
  mentors, in many countries' English and second-language English).
- `unsafe_heldout_fresh73.jsonl`: to that brief, by a seventy-sixth hand, as a month of exchanges with the assistant of
  a garden centre and horticultural society's app (home gardeners and allotment holders, balcony growers, beekeepers, tree
  surgeons and landscapers, pond and orchid enthusiasts, show exhibitors and judges, people with pests, weeds and poisonous
  plants, garden-centre staff, children's gardening clubs, people buying sheds, tools and fertiliser, in many countries'
  English and second-language English).
- `unsafe_heldout_fresh74.jsonl`: to that brief, by a seventy-seventh hand, as a month of exchanges with the assistant of
  a music school, rehearsal studio and instrument shop's app (pupils and parents booking lessons, teachers, bands booking
  rehearsal rooms, sound engineers, people buying and selling second-hand instruments, choirs and orchestras, DJs and
  producers, touring musicians, people with noise complaints, exam candidates, repairers, in many countries' English and
  second-language English).
- `unsafe_train_written_a.jsonl` (fluent chat-assistant style, users in many registers) and
  `unsafe_train_written_b.jsonl` (forum and messenger register: lower case, slang, typos; answers of uneven quality):
  hand-written training sets.
- `unsafe_train_written_c.jsonl`: a third hand-written training set, of contrastive near-pairs (2026-12-05): most refusals
  decline the same request that a compliance row answers, and the safety and look-alike rows talk about the compliance
  rows' topics (drink spiking, grooming, stalkerware, scams, weapons, self-harm, extremism, sandbox abuse) in the same
  vocabulary; no square brackets anywhere.
- `unsafe_train_written_d.jsonl`: a fourth hand-written training set, of hard cases at the boundary (2026-12-05, written
  blind): imperfect refusals (refuse then offer an alternative, lectures, typos, a refusal after turns of benign help),
  compliance wrapped in disclaimers, role-play, fiction, hypotheticals or a late grandmother's stories, safety rows that
  talk frankly about the compliance rows' topics, and look-alikes from games, kitchens, sport, theatre and software;
  no square brackets anywhere.
- `unsafe_train_written_e.jsonl`: a hand-written training set E, written blind, in registers and assistant
  personas spread evenly over every kind (second-language English, terse one-liners, long rambling asks, professionals
  at work, conversations of up to three exchanges; support bot, coding assistant, tutor, terse CLI helper, overly chatty
  helper), with refusals and safe answers on the compliance rows' topics; no square brackets anywhere.
- `unsafe_train_written_f.jsonl`: a hand-written training set F, written blind, short and blunt in every kind (final
  answers mostly 3-30 words, none over 50; terse users; compliance that gets straight to it, including an assistant
  that threatens, insults or urges self-harm on the user itself; one-line refusals, look-alikes, safety answers and
  chat), so that length tells nothing; no square brackets anywhere.
- `unsafe_train_written_g.jsonl`: a hand-written training set G, written blind, about where in the answer the harm sits
  (harmful help as a paragraph or a few list items inside an otherwise friendly, even safety-minded answer, at its start,
  middle or end; refuse-then-comply answers; long refusals that discuss risks, law and alternatives; long, list-heavy
  safe answers, look-alikes and chat), with lengths from about 15 to 250 words spread over every kind; no square brackets.
- `unsafe_train_written_h.jsonl`: a hand-written training set H, written blind, where context decides: multi-turn rows
  whose harmful intent sits only in an earlier turn before an innocent-looking last request (complied with or declined),
  alarming earlier turns before a benign last exchange (look-alike, safety, chat), single-turn rows where a stated
  purpose (a nurse's patient safety, a named target) changes the answer, and plain, matter-of-fact answers in every
  kind; no square brackets anywhere.
- `unsafe_train_written_i.jsonl`: a hand-written training set I, written blind, that breaks surface cues: crisis hotlines,
  disclaimers and "please be careful" in compliance and chat too, "Sure"/"Of course"/"Happy to help" openings in refusals
  and safety answers, "sorry"/"can't"/"won't" in compliance and look-alikes, lists, numbered steps, code blocks, emoji and
  exclamation marks in every kind, topic-changing last turns in benign rows, short and long answers in every kind; no
  square brackets anywhere.
- `unsafe_train_written_j.jsonl`: a hand-written training set J, written blind, where the depth of the answer decides:
  safety answers and refusals that stay at the general level (what it is, why it is dangerous, the law, who to call) on
  weapons, drugs, poisons, hacking, fraud, stalking, self-harm, extremism and elections, next to compliance answers that
  go to the operational level (steps, materials, timing, evading detection; specifics vague or invented) on the same
  topics, often after an earlier general exchange, with look-alikes and chat in the same vocabulary; no square brackets.
- `unsafe_train_written_k.jsonl`: a hand-written training set K, written blind and look-alike heavy (160 of 420 rows),
  about harmless requests in each hazard category's own vocabulary (stage combat, butchery, locksport, CTFs, dog and
  horse grooming, libel law for journalists, drug calculations, bath bombs, Raft leader election, fork bombs in an OS
  class...), about eleven per category S1-S14, answered with concrete how-tos, next to compliance rows (ten per
  category) that help a real harm along in the same trades and hobbies, frank safety answers and refusals in those
  domains, and a little chat; lists, emoji, hotlines and friendly openings in every kind; no square brackets.
- `unsafe_train_written_l.jsonl`: a hand-written training set L, written blind, of harmless text in dark forms (160
  look-alikes: crime and horror fiction, grimdark lore, true crime and history, lyrics and poems about violence or
  addiction, dark jokes and friendly insults, villain role-play, alarming earlier turns before a benign last request,
  violent idioms, professionals' jargon), with compliance in the same forms (a story, poem, joke or role-play that
  teaches the harm, a benign conversation that turns), 10 per hazard category; no square brackets anywhere.
- `unsafe_train_written_m.jsonl`: a hand-written training set M, written blind, where the answer's vocabulary tells nothing:
  160 look-alikes and 60 safety answers dense in hazard words (reviews, definitions, translations, proofreading, true crime,
  history, news and case summaries, scam and attack explainers, overdose signs for carers, poisons in mystery plots), about
  eleven per category S1-S14, next to compliance rows (ten per category) of which about half help the harm in bland,
  euphemistic or coded words and half bluntly, refusals both dense and bland, and a little chat; no square brackets.
- `unsafe_train_written_n.jsonl`: a hand-written training set N, written blind, on plain topics: 170 ordinary chat rows
  (12 or 13 per hazard category) on the everyday topics that category's harmful rows share (sport and cooking, money and
  tax, dating, parenting, reviews, health and law, privacy settings, music and books, chemistry class and fireworks,
  religion and nationality, sleep and diet, romance, voting, code), with look-alikes, safety answers, refusals and
  compliance (5 per category) on the same topics, so that only the harm tells them apart; no square brackets.
- `unsafe_train_written_o.jsonl`: a hand-written training set O, written blind, of plain topics: 170 ordinary chat rows
  (12 or 13 for each hazard category's everyday topics: sport and cooking, money and banking, dating, parenting, reviews,
  health and law questions, privacy settings, music and books, chemistry class and fireworks shows, religion and
  identity, sleep and diet, romance writing, voting, code) next to 5 compliance rows per category on the same topics
  (a fake polling-date text, a defamatory fake review, a romance scam plan...), refusals, look-alikes and safety
  answers, so that only the harm tells the kinds apart; no square brackets.
- `unsafe_train_written_p.jsonl`: a hand-written training set P, written blind, where the answer's vocabulary tells nothing:
  160 look-alikes and 60 safety answers dense in hazard words (film and game reviews, definitions, translations from
  Spanish, Portuguese, Tagalog, Hausa, Hindi, French and German, proofreading, true crime, history and news summaries, scam and attack
  explainers, overdose signs for carers, poisons in mystery plots), about eleven per category S1-S14, next to compliance
  rows (ten per category) of which about a third help the harm in bland, euphemistic or coded words and the rest
  bluntly, refusals both dense and bland, and a little chat; users in Indian, Nigerian, Filipino, Australian, British, American and second-language English,
  with lists, emoji, hotlines, disclaimers and apologies spread over every kind; no square brackets.
- `unsafe_train_written_q.jsonl`: a hand-written training set Q, written blind (2026-12-06), of mirrored pairs on
  protective requests: 140 compliance rows (10 per hazard category) that help a harm along (spiking a drink, stalkerware,
  sextortion, grooming in game chats, fake reviews, stopping insulin, doxxing a streamer, pool-chemical gas, hate flyers,
  pushing a friend to self-harm, fake polling-place texts, a sandbox used to scrape or brute-force), each followed by its
  mirror, the protective request from the other side (a festival-goer, parent, shop owner, teacher, moderator, IT admin,
  poll worker) answered concretely; refusals that name the harm, frank safety answers and chat with violent idioms; no
  square brackets.
- `unsafe_train_written_r.jsonl`: a hand-written training set R, written blind (2026-12-06), of mirrored pairs on writing
  against a harm: 140 compliance rows (10 per category: a threat to a neighbour, a scam text to pensioners, a fake
  reference, grooming DMs, defamatory reviews, anti-vaccine posts, doxxing, piracy ads, hate flyers, pro-starvation texts,
  fake "polls moved" notices, sandbox exfiltration), each followed by a look-alike in the same words that writes against
  it (police reports, scam warnings, safeguarding policies, fair reviews, myth-busters, corrections, supportive replies),
  refusals, frank safety answers and chat; many countries' English; no square brackets.
- `unsafe_train_written_s.jsonl`: a hand-written training set S, written blind (2026-12-07), of short mirrored pairs on
  informational questions: 140 compliance rows (10 per category: hitting without marks, benefit-form fraud, a smishing
  text, sextortion, a fake review naming a dentist, stopping insulin, tracking a wife's phone, a slur-free hate flyer, a
  bridge, a fake "polls moved" text, a sandbox's keys), each followed by its mirror asking how that harm works, how
  common it is, what the law says or what happened in the news, answered plainly; refusals, safety answers and chat;
  every final answer 60 words or fewer; many countries' English; no square brackets.
- `unsafe_train_written_t.jsonl`: a hand-written training set T, written blind (2026-12-07), of short mirrored pairs on
  everyday tasks in a hazard's words: 140 compliance rows (10 per category: a blade past the turnstile, skipping bail, a
  hidden bathroom camera, doubling a child's Calpol, stripping a watermark, pool-chemical gas, hiding starvation, an
  explicit scene, a sandbox miner), each followed by its mirror in the same words for a harmless end (a self-defence
  class, the right dose from the packet, watermarking one's own prints, a fade-to-black scene, flights around election
  day), answered concretely; refusals, safety answers and chat; every final answer 60 words or fewer; no square brackets.
- `unsafe_train_written_u.jsonl`: a hand-written training set U, written blind (2026-12-07), in the assistants of many
  companies' customer and staff apps (utilities, telecoms, insurers, banks, retailers, logistics, property, car dealers,
  hospitals, schools, media, travel, gyms, restaurants, factories, software firms) with surface cues broken on purpose:
  refusals mostly impersonal and without a "No"/"Sorry" opening, compliance (10 per category) half short and indirect,
  some with disclaimers, hotlines, "No problem" openings or in the first person; 160 look-alikes full of hazard words
  used at work (fraud teams, safety officers, HR, phishing tests, arson claims, overdose nursing, extremism reporting,
  explosive atmospheres, defamation law, grooming-awareness training); safety answers and chat; no square brackets.
- `unsafe_train_written_v.jsonl`: a hand-written training set V, written blind, in the assistants of organisations'
  member and staff apps other than U's (sports clubs and leagues, churches, mosques and charities, airline crew, pharma
  and lab staff, construction and mining, law firms and courts, game studios, hotel staff, prisons and probation,
  museums, music venues and festivals, security and cleaning firms, armed forces welfare, nursing agencies) with the
  same cues broken on purpose: refusals mostly impersonal (some opening "Sure - though not that part"), compliance (10
  per category) mostly short and indirect, some with disclaimers, hotlines, "see a doctor", legal words, "No problem" or
  "Sorry for the wait" openings or in the first person, refusals as near-pairs of compliance rows; 160 look-alikes full
  of hazard and legal words used at work, many opening "Sure", "Here" or "Of course", some with privacy and security
  advice or "I can't share X, but here's Y"; safety answers and chat; no square brackets.
- `unsafe_train_written_w.jsonl`: a hand-written training set W, written blind, in the assistants of companies'
  customer and staff apps (rail, bus and coach operators, events and ticketing, pharmacies, supermarkets, job-search
  platforms, food delivery, hospitals, schools, garages, vets, utilities, telecoms, banks, insurers) on the boundaries
  the classifier blurs: 160 hard look-alikes whose violent, drug, weapon, sexual, hacking, extremist or legal words carry
  an innocent meaning (a surprise "kidnap" for a weekend away, demolishing a bridge, pest control, "killer" deals,
  shooting photos, robbery and assault training for staff, knives in lost property, doses asked by carers, harmless
  flirting, dark jokes, a villain for a school play, crime novels on a train), most answered in a sentence or two;
  compliance (10 per category) mostly one or two calm sentences handing over what was asked in plain words (a ranking
  by nationality, switching off an audit log, when a lone worker is alone), the rest office, ticket or shop tasks whose
  harm lies in their purpose (a rota, an email, a notice, a claim); refusals naming the abuse or weapon, safety answers
  to frightening situations, one-line chat; no square brackets.
- `unsafe_train_written_x.jsonl`: a hand-written training set X, written blind (2026-12-07), of mirrored pairs in which
  the purpose decides: the same ordinary task in companies' customer and staff apps (rail, bus and coach, events and
  ticketing, pharmacies, supermarkets, job search, food delivery, hospitals, schools, garages, vets, utilities, telecoms,
  banks, insurers), such as an email to HR, a child's ticket, a seat near someone, switching off an audit log, a
  delivery note, a review, a repeat prescription, a shortlist filter or a sandbox script, done once for a harmless end
  (140 look-alikes) and once for a harmful one (140 compliance rows, 10 per category, answered as calmly and briefly),
  the purpose shown in an earlier turn or left to the task itself; refusals of the harmful versions, some naming the
  purpose and some in one line, safety answers to people who fear being the target of such a task (tracked, falsely
  reported, locked out) and short chat; 30-55 % multi-turn in every kind, final answers of 120 words or fewer, most
  under 60; no square brackets.
- `unsafe_train_written_y.jsonl`: a hand-written training set Y, written blind (2026-12-08), in the assistants of
  community and public services (city and parish councils, libraries, public transport, police non-emergency lines,
  courts and tribunals, housing associations, faith communities, charities and food banks, schools and colleges,
  leisure centres, museums, election offices): 160 look-alikes whose violent, drug, weapon, sexual, hacking, extremist
  or legal words carry an innocent meaning (incidents reported after the fact, staff training on robbery and assault,
  knives in lost property, doses asked by carers, consent education, pest control, demolition, a villain for a school
  play, crime novels on a train), most answered in a sentence or two; compliance (140: 14 each for S2, S6, S7 and S13,
  9 each for S1, S3, S4 and S5, 8 each for the rest), most of it one or two calm sentences handing over what was asked
  in plain words (locating or exposing a person, fraud and theft, dangerous medical, legal or financial advice, voting
  misinformation), the rest ordinary tasks whose harm lies in their purpose; refusals naming the abuse, drug or weapon,
  safety answers to frightening situations, one-line chat; users in many countries' English, typos and lowercase;
  no square brackets.
- `unsafe_train_written_z.jsonl`: a hand-written training set Z, written blind (2026-12-08), in the assistants of
  trades, property and local businesses (estate and letting agents, landlords and tenants, builders and plumbers,
  locksmiths, security firms, removals, cleaners, garages, vets and farms, gyms, salons, cafes and bars, hardware
  stores, delivery drivers, event venues): 160 look-alikes whose violent, drug, weapon, sexual, hacking, extremist or
  legal words carry an innocent meaning (a surprise party, demolition, pest control, "killer" deals, shooting photos,
  robbery and assault training for staff, knives handed in, doses asked by carers, harmless flirting, dark jokes, a
  villain for a school play, crime novels), many answered in a sentence or two; compliance weighted to the categories
  missed most (14 each for S2, S6, S7 and S13, 9 each for S1, S3, S4 and S5, 8 for each other), most one or two calm
  sentences handing over what was asked in plain words, the rest ordinary tasks whose harm lies in their purpose (an
  email, a lookup, a schedule, a form, a leaflet); refusals naming the abuse, drug or weapon, safety answers to
  frightening situations, one-line chat; many countries' English, typos and lowercase in every kind; no square brackets.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from workbench.safety.labelled import (DATA, HELDOUT_FRESH_FILES, HELDOUT_FRESH2_FILE, HELDOUT_FRESH3_FILE,
                                       HELDOUT_FRESH_FILE, TRAIN_WRITTEN_A_FILE, TRAIN_WRITTEN_B_FILE,
                                       TRAIN_WRITTEN_C_FILE, TRAIN_WRITTEN_D_FILE, TRAIN_WRITTEN_E_FILE,
                                       TRAIN_WRITTEN_F_FILE, TRAIN_WRITTEN_G_FILE, TRAIN_WRITTEN_H_FILE,
                                       TRAIN_WRITTEN_I_FILE, TRAIN_WRITTEN_J_FILE, TRAIN_WRITTEN_K_FILE,
                                       TRAIN_WRITTEN_L_FILE, TRAIN_WRITTEN_M_FILE, TRAIN_WRITTEN_N_FILE,
                                       TRAIN_WRITTEN_O_FILE, TRAIN_WRITTEN_P_FILE, TRAIN_WRITTEN_Q_FILE,
                                       TRAIN_WRITTEN_R_FILE, TRAIN_WRITTEN_S_FILE, TRAIN_WRITTEN_T_FILE,
                                       TRAIN_WRITTEN_U_FILE, TRAIN_WRITTEN_V_FILE,
                                       TRAIN_WRITTEN_W_FILE, TRAIN_WRITTEN_X_FILE,
                                       TRAIN_WRITTEN_Y_FILE, TRAIN_WRITTEN_Z_FILE)
from workbench.safety.taxonomy import CODES


@dataclass(frozen=True)
class Promise:
    path: Path
    set_name: str
    kinds: dict[str, int]
    per_category: tuple[int, int]  # compliance rows per hazard category, inclusive
    multi_turn: tuple[float, float]  # share of rows with an earlier exchange
    max_words: int  # words in the final answer


HELD_OUT = {"compliance": 186, "refusal": 66, "lookalike": 62, "safety": 38, "chat": 43}
HELD_OUT_LOOKALIKES = {"compliance": 168, "refusal": 60, "lookalike": 100, "safety": 36, "chat": 36}
WRITTEN = {"compliance": 170, "refusal": 60, "lookalike": 70, "safety": 50, "chat": 50}
LOOKALIKE_HEAVY = {"compliance": 140, "refusal": 40, "lookalike": 160, "safety": 60, "chat": 20}
LOOKALIKE_FORMS = {"compliance": 140, "refusal": 30, "lookalike": 160, "safety": 50, "chat": 40}
PLAIN_TOPICS = {"compliance": 70, "refusal": 20, "lookalike": 20, "safety": 20, "chat": 170}
MIRRORED = {"compliance": 140, "refusal": 40, "lookalike": 140, "safety": 40, "chat": 40}
PROMISES = [
    *(Promise(path, path.stem.removeprefix("unsafe_"), HELD_OUT, (13, 14), (0.25, 0.30), 120)
      for path in HELDOUT_FRESH_FILES[:9]),  # fresh to fresh9: the held-out mix
    *(Promise(path, path.stem.removeprefix("unsafe_"), HELD_OUT_LOOKALIKES, (12, 12), (0.20, 0.30), 150)
      for path in HELDOUT_FRESH_FILES[9:]),  # fresh10 on: 100 look-alikes, 12 compliance rows per category
    Promise(TRAIN_WRITTEN_A_FILE, "train_written_a", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_B_FILE, "train_written_b", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_C_FILE, "train_written_c", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_D_FILE, "train_written_d", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_E_FILE, "train_written_e", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_F_FILE, "train_written_f", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_G_FILE, "train_written_g", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_H_FILE, "train_written_h", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_I_FILE, "train_written_i", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_J_FILE, "train_written_j", WRITTEN, (12, 13), (0.25, 0.40), 300),
    Promise(TRAIN_WRITTEN_K_FILE, "train_written_k", LOOKALIKE_HEAVY, (10, 10), (0.20, 0.40), 250),
    Promise(TRAIN_WRITTEN_L_FILE, "train_written_l", LOOKALIKE_FORMS, (10, 10), (0.25, 0.45), 250),
    Promise(TRAIN_WRITTEN_M_FILE, "train_written_m", LOOKALIKE_HEAVY, (10, 10), (0.20, 0.40), 250),
    Promise(TRAIN_WRITTEN_N_FILE, "train_written_n", PLAIN_TOPICS, (5, 5), (0.15, 0.35), 200),
    Promise(TRAIN_WRITTEN_O_FILE, "train_written_o", PLAIN_TOPICS, (5, 5), (0.15, 0.35), 200),
    Promise(TRAIN_WRITTEN_P_FILE, "train_written_p", LOOKALIKE_HEAVY, (10, 10), (0.20, 0.40), 250),
    Promise(TRAIN_WRITTEN_Q_FILE, "train_written_q", MIRRORED, (10, 10), (0.20, 0.35), 200),
    Promise(TRAIN_WRITTEN_R_FILE, "train_written_r", MIRRORED, (10, 10), (0.20, 0.35), 200),
    Promise(TRAIN_WRITTEN_S_FILE, "train_written_s", MIRRORED, (10, 10), (0.20, 0.35), 60),
    Promise(TRAIN_WRITTEN_T_FILE, "train_written_t", MIRRORED, (10, 10), (0.20, 0.35), 60),
    Promise(TRAIN_WRITTEN_U_FILE, "train_written_u", LOOKALIKE_HEAVY, (10, 10), (0.20, 0.40), 250),
    Promise(TRAIN_WRITTEN_V_FILE, "train_written_v", LOOKALIKE_HEAVY, (10, 10), (0.20, 0.40), 250),
    Promise(TRAIN_WRITTEN_W_FILE, "train_written_w", LOOKALIKE_HEAVY, (10, 10), (0.20, 0.40), 250),
    Promise(TRAIN_WRITTEN_X_FILE, "train_written_x", MIRRORED, (10, 10), (0.30, 0.55), 120),
    Promise(TRAIN_WRITTEN_Y_FILE, "train_written_y", LOOKALIKE_HEAVY, (8, 14), (0.20, 0.40), 250),
    Promise(TRAIN_WRITTEN_Z_FILE, "train_written_z", LOOKALIKE_HEAVY, (8, 14), (0.20, 0.40), 250),
]


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _texts(row: dict) -> list[str]:
    """Every message's content in a row, normalised (case and whitespace)."""
    return [re.sub(r"\s+", " ", m["content"]).strip().lower() for m in row["prompt"] + row["completion"]]


@pytest.fixture(params=PROMISES, ids=lambda p: p.set_name)
def promise(request) -> Promise:
    return request.param


def test_rows_have_the_format_and_labels_agree_with_kinds(promise):
    lines = promise.path.read_text(encoding="utf-8").splitlines()
    assert [n for n, line in enumerate(lines, 1) if not line.strip()] == [], "blank lines"
    bad = []
    for n, row in enumerate(_rows(promise.path), 1):
        prompt, completion, meta = row.get("prompt"), row.get("completion"), row.get("meta")
        ok = set(row) == {"prompt", "completion", "label", "meta"} and isinstance(row["label"], bool)
        ok = ok and isinstance(prompt, list) and len(prompt) % 2 == 1
        ok = ok and isinstance(completion, list) and len(completion) == 1
        messages = (prompt or []) + (completion or []) if ok else []
        ok = ok and all(isinstance(m, dict) and set(m) == {"role", "content"} and isinstance(m["content"], str)
                        and m["content"].strip() for m in messages)
        ok = ok and [m["role"] for m in messages] == ["user", "assistant"] * (len(messages) // 2)
        ok = ok and 1 <= len(completion[0]["content"].split()) <= promise.max_words
        ok = ok and isinstance(meta, dict) and set(meta) == {"category", "kind", "set"}
        ok = ok and meta["set"] == promise.set_name and meta["kind"] in promise.kinds
        ok = ok and row["label"] is (meta["kind"] != "compliance")
        ok = ok and (meta["category"] in CODES if meta["kind"] == "compliance" else meta["category"] is None)
        if not ok:
            bad.append(n)
    assert bad == [], f"rows of {promise.path.name} in the wrong format or labelled against their kind: {bad}"


def test_the_promised_size_and_mix(promise):
    rows = _rows(promise.path)
    assert len(rows) == sum(promise.kinds.values())
    assert Counter(r["meta"]["kind"] for r in rows) == promise.kinds
    per_category = Counter(r["meta"]["category"] for r in rows if r["meta"]["kind"] == "compliance")
    low, high = promise.per_category
    assert set(per_category) == set(CODES)
    assert all(low <= n <= high for n in per_category.values()), dict(per_category)
    multi = sum(len(r["prompt"]) > 1 for r in rows) / len(rows)
    assert promise.multi_turn[0] <= multi <= promise.multi_turn[1], multi


def test_no_message_appears_twice_inside_the_set(promise):
    first: dict[str, int] = {}
    repeated = []
    for n, row in enumerate(_rows(promise.path), 1):
        for text in set(_texts(row)):
            if text in first:
                repeated.append((first[text], n))
            first.setdefault(text, n)
    assert repeated == [], f"(first row, repeating row) sharing a message in {promise.path.name}: {repeated}"


def test_no_message_shared_with_another_labelled_set(promise):
    others = sorted(p for p in DATA.glob("unsafe_*.jsonl") if p != promise.path)
    assert len(others) >= 6, [p.name for p in others]
    theirs: set[str] = set()
    for other in others:
        for row in _rows(other):
            theirs.update(_texts(row))
    shared = [n for n, row in enumerate(_rows(promise.path), 1) if any(t in theirs for t in _texts(row))]
    theirs.clear()  # nothing of the other sets may appear in a failure report
    assert shared == [], f"rows of {promise.path.name} sharing a message with another labelled set: {shared}"


# Written with "[precursor]"-style placeholders, before the rule below: the first three blind sets, A and B.
WITH_PLACEHOLDERS = (HELDOUT_FRESH_FILE, HELDOUT_FRESH2_FILE, HELDOUT_FRESH3_FILE, TRAIN_WRITTEN_A_FILE,
                     TRAIN_WRITTEN_B_FILE)


@pytest.mark.parametrize("path", [p.path for p in PROMISES if p.path not in WITH_PLACEHOLDERS],
                         ids=lambda p: p.stem)
def test_the_held_out_sets_without_placeholders_have_no_brackets(path):
    """`unsafe_heldout_fresh4.jsonl` to `unsafe_heldout_fresh9.jsonl` were written
    without "[precursor]"-style placeholders, so that a classifier cannot score on them by learning that brackets mean
    unsafe: no message in them may contain "[" or "]"."""
    bracketed = [n for n, row in enumerate(_rows(path), 1)
                 if any("[" in m["content"] or "]" in m["content"] for m in row["prompt"] + row["completion"])]
    assert bracketed == [], f"rows of {path.name} with a square bracket: {bracketed}"


def test_every_blind_set_is_listed_in_the_order_written():
    """`HELDOUT_FRESH_FILES` (what `bench.filters --unsafe-set` offers) holds every blind set file, in order."""
    names = [path.name for path in HELDOUT_FRESH_FILES]
    assert sorted(path.name for path in DATA.glob("unsafe_heldout_fresh*.jsonl")) == sorted(names)
    assert names == ["unsafe_heldout_fresh.jsonl"] + [f"unsafe_heldout_fresh{n}.jsonl" for n in range(2, len(names) + 1)]
