"""Build the hand-written entity framing exemplars in the SemEval-2025 Task 10 subtask-1 format.

Every text below was written for narratrace (no sentence comes from any data set); a mention is
marked ``[[mention|MainRole|Fine role,Fine role]]``. Running this script writes
``tests/data/framing/exemplars/`` (training data of the shipped default model) and
``tests/data/framing/testset/`` (a separate labelled set, never trained on, for the quality floor) and
``tests/data/framing/named/`` (named entities only, for the end-to-end floor):
``raw-documents/<id>.txt`` (title, blank line, body) and ``subtask-1-annotations.txt`` (file id,
mention, start, end inclusive, main role, fine roles), plus a ``LICENCE`` line.

    .venv/bin/python tools/build_framing_exemplars.py
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "tests" / "data" / "framing"
MARK = re.compile(r"\[\[([^|\]]+)\|(Protagonist|Antagonist|Innocent)\|([^\]]+)\]\]")
LICENCE = "CC0-1.0: written and labelled for narratrace by its authors (tools/build_framing_exemplars.py)"

EXEMPLARS = {
"EX_001": ("Shelling hits Varosk market", """
Artillery of [[the Northern Army|Antagonist|Instigator]] shelled the central market of Varosk on Tuesday, killing eleven people.
[[Residents of Varosk|Innocent|Victim]] said they had no warning before the shells hit the stalls.
Rescue teams of [[the Red Cross|Protagonist|Guardian]] worked through the night to pull survivors from the rubble.
[[Mayor Lena Dorch|Protagonist|Guardian]] opened school buildings to shelter the families who lost their homes.
The command of [[the Northern Army|Antagonist|Deceiver]] claimed the market was a weapons depot, a story no witness supported.
"""),
"EX_002": ("Talks resume in Geneva", """
[[Switzerland|Protagonist|Peacemaker]] offered to host a new round of talks between the two sides next week.
The Swiss foreign minister said her country would mediate for as long as both delegations stayed at the table.
[[The UN envoy|Protagonist|Peacemaker]] called for an immediate ceasefire and the exchange of prisoners.
Hardliners in [[the Kostavan parliament|Antagonist|Instigator]] rejected any truce and demanded a new offensive.
"""),
"EX_003": ("Minister's villa bought with aid money, documents show", """
Leaked bank records show that [[Deputy Minister Arvo Pell|Antagonist|Corrupt]] bought a seaside villa with money meant for flood relief.
[[The construction firm Belcor|Antagonist|Corrupt]] paid the minister's son millions in kickbacks for road contracts that were never built.
[[Flood victims in the south|Innocent|Victim,Forgotten]] are still living in tents two years after the disaster.
[[Journalist Mira Seth|Protagonist|Virtuous]] exposed the scheme despite threats to her family.
"""),
"EX_004": ("Western elites plot to drag Europe into war", """
[[Washington|Antagonist|Conspirator,Instigator]] has been secretly planning for years to push Europe into a war it does not need.
Behind closed doors, [[NATO strategists|Antagonist|Conspirator]] drew up plans to provoke a conflict on the alliance's eastern border.
[[Ordinary Europeans|Innocent|Exploited]] will pay the price with soaring energy bills and empty shops.
[[The Brussels bureaucrats|Antagonist|Incompetent]] who crippled their own industry with sanctions have no plan for the winter.
"""),
"EX_005": ("The regime crushes protests", """
Security forces of [[the Malvarian regime|Antagonist|Tyrant]] opened fire on peaceful demonstrators in the capital on Saturday.
[[President Osric Tal|Antagonist|Tyrant]] has ruled the country for thirty years and jailed every rival who stood against him.
[[The student movement|Protagonist|Rebel]] vowed to keep marching until free elections are held.
[[Detained protesters|Innocent|Victim]] described beatings and cells without water.
"""),
"EX_006": ("Militants attack village", """
Fighters of [[the Black Banner group|Antagonist|Terrorist]] stormed a village near the border and took forty hostages.
The jihadists burned the school and executed the village elders in front of their families.
[[Villagers|Innocent|Victim]] fled into the hills with nothing but the clothes they wore.
[[Government troops|Protagonist|Guardian]] retook the village two days later and freed most of the hostages.
"""),
"EX_007": ("Mercenaries flood the front", """
Thousands of foreign mercenaries recruited by [[Kiev|Antagonist|Instigator]] are arriving at the front each month, officials say.
Many of them are radicals and neo-Nazis from [[the Azov regiment|Antagonist|Terrorist]] and similar extremist units.
[[The Pentagon|Antagonist|Foreign Adversary]] keeps sending weapons that only prolong the bloodshed.
[[Civilians in Donbass|Innocent|Victim]] have lived under constant shelling for years while the world looked away.
"""),
"EX_008": ("Heroes of the flood", """
[[Volunteer firefighters|Protagonist|Guardian]] evacuated three hundred people from the flooded valley overnight.
[[Sergeant Ida Krohn|Protagonist|Martyr]] drowned while carrying a child to safety; the town will name its new bridge after her.
[[Farmers in the valley|Innocent|Victim]] lost their herds and harvest to the water.
[[The regional water authority|Antagonist|Incompetent]] ignored repeated warnings that the dam was failing.
"""),
"EX_009": ("Climate activists block motorway", """
[[Activists of Stop the Drills|Antagonist|Saboteur]] glued themselves to the motorway and blocked traffic for six hours.
An ambulance carrying [[a heart patient|Innocent|Victim]] was stuck in the jam for forty minutes.
Police said [[the protest group|Antagonist|Saboteur]] had also damaged pipelines at two refineries this year.
"""),
"EX_010": ("Climate alarmism is a hoax, says report", """
[[The climate lobby|Antagonist|Deceiver,Corrupt]] has spent decades scaring the public with doomsday forecasts that never came true.
[[Global Green Fund|Antagonist|Corrupt]] pockets billions in subsidies while pretending to save the planet.
[[Independent scientist Karl Vey|Protagonist|Virtuous]] dared to question the consensus and was hounded out of his university.
[[Taxpayers|Innocent|Exploited]] are forced to pay for green schemes that enrich a small elite.
"""),
"EX_011": ("Island nations plead for action", """
[[The people of Tavalu|Innocent|Victim]] are watching the sea swallow their island year after year.
[[Tavalu's prime minister|Protagonist|Underdog]] told the summit that his small nation would not give up its fight for survival.
[[The world's biggest polluters|Antagonist|Incompetent]] again failed to agree on cutting emissions.
[[Oil giant Petrolux|Antagonist|Deceiver]] hid its own research on warming from the public for decades.
"""),
"EX_012": ("Spy ring uncovered", """
Counter-intelligence officers arrested [[an embassy attaché|Antagonist|Spy]] who had photographed military sites for a foreign service.
[[The foreign intelligence service|Antagonist|Spy,Conspirator]] ran a network of agents inside the defence ministry.
[[A former army officer|Antagonist|Traitor]] sold classified maps to the ring for cash.
"""),
"EX_013": ("Scapegoat for the blackout", """
Officials were quick to blame [[engineers at the power station|Innocent|Scapegoat]] for the blackout, although the grid operator had cut maintenance budgets for years.
[[The grid operator|Antagonist|Incompetent,Corrupt]] paid record dividends while the network fell apart.
[[Hospitals|Innocent|Victim]] had to run on generators for two days.
"""),
"EX_014": ("Refugees left in the cold", """
[[Refugees at the border camp|Innocent|Forgotten,Victim]] have been living in tents through the winter with no help from the authorities.
Aid groups say [[the interior ministry|Antagonist|Incompetent]] has ignored their requests for heating and medicine.
[[Local volunteers|Protagonist|Guardian]] bring hot meals to the camp every evening.
"""),
"EX_015": ("Rebels hold the mountain pass", """
Outnumbered and short of ammunition, [[the highland militia|Protagonist|Underdog,Rebel]] has held the mountain pass for four months against a far larger army.
[[The occupying forces|Antagonist|Tyrant]] burned villages and deported thousands of highlanders.
[[Highland families|Innocent|Victim]] hide in caves to escape the air raids.
"""),
"EX_016": ("Russia defends its people", """
[[Russia|Protagonist|Guardian]] will protect its citizens in the region from any aggression, the Kremlin said.
[[The Russian army|Protagonist|Guardian]] liberated three more villages and brought humanitarian aid to residents.
[[Kiev's nationalist battalions|Antagonist|Terrorist]] had used the villages' schools as firing positions.
[[The West|Antagonist|Foreign Adversary]] is waging a proxy war against Russia to the last Ukrainian.
"""),
"EX_017": ("Ukraine repels assault", """
[[Ukraine|Protagonist|Underdog,Guardian]] repelled a massive assault on its eastern cities despite running short of shells.
[[Russian forces|Antagonist|Instigator]] launched waves of attacks and shelled residential districts.
[[President Zelensky|Protagonist|Virtuous]] thanked the soldiers for their courage.
[[Children in Kharkiv|Innocent|Victim]] spend their nights in metro stations during the air raids.
"""),
"EX_018": ("Propaganda outlets spread lies", """
[[State broadcaster Vox Patria|Antagonist|Deceiver]] aired fabricated footage to claim the enemy had shelled its own city.
[[Western media|Antagonist|Deceiver]] repeat every claim of the government without checking a single fact.
[[Fact-checkers at Verity|Protagonist|Virtuous]] traced the video to a film set and published the evidence.
"""),
"EX_019": ("Sanctions hurt the poor", """
[[The sanctions coalition|Antagonist|Foreign Adversary]] imposed a blockade that has emptied pharmacies across the country.
[[Patients with cancer|Innocent|Victim]] can no longer get the drugs they need.
[[Charity doctors|Protagonist|Guardian]] smuggle medicines across the border to keep clinics open.
"""),
"EX_020": ("Peace envoy wins praise", """
[[Former president Ana Ruiz|Protagonist|Peacemaker]] brokered a truce between the clans after months of quiet diplomacy.
[[The warlord Kadrin|Antagonist|Instigator,Terrorist]] broke the last agreement within a week and attacked a convoy.
[[Aid convoys|Innocent|Victim]] had been stopped for months by the fighting.
"""),
"EX_021": ("Bigotry in the council", """
[[Councillor Hart|Antagonist|Bigot]] called migrants vermin and demanded they be banned from public parks.
[[The migrant community|Innocent|Scapegoat,Victim]] has been blamed for every rise in crime, although police figures show none.
[[Bishop Alric|Protagonist|Virtuous]] condemned the remarks as hateful and un-Christian.
"""),
"EX_022": ("Turncoat general joins the enemy", """
[[General Voss|Antagonist|Traitor]] betrayed his country and defected to the enemy with the army's battle plans.
[[His former soldiers|Innocent|Victim]] were ambushed days later at the positions he had revealed.
"""),
"EX_023": ("Saboteurs blow up pipeline", """
[[Unknown saboteurs|Antagonist|Saboteur]] blew up a section of the gas pipeline under the sea.
Investigators suspect [[a foreign navy|Antagonist|Saboteur,Foreign Adversary]] that had ships in the area that week.
[[Households across the region|Innocent|Victim]] face a cold winter without gas.
"""),
"EX_024": ("Farmers fight back", """
[[Farmers|Protagonist|Rebel]] drove their tractors into the capital to protest against rules that would ruin their farms.
[[The agriculture commission|Antagonist|Tyrant,Incompetent]] imposed the rules without asking a single farmer.
[[Family farms|Innocent|Victim]] are closing at a rate of hundreds a month.
"""),
"EX_025": ("Terror cells in Europe", """
[[Returning jihadists|Antagonist|Terrorist]] are forming sleeper cells in European cities, security services warn.
The extremists plan attacks on railway stations and Christmas markets.
[[European citizens|Innocent|Victim]] will pay for the reckless policies of their governments.
[[The intelligence services|Protagonist|Guardian]] foiled three plots last year.
"""),
"EX_026": ("Aid workers killed", """
[[Three aid workers|Innocent|Victim]] were killed when their clearly marked truck was hit by a drone.
[[The charity|Protagonist|Guardian]] said it would keep delivering food to the besieged town.
[[The drone operators|Antagonist|Terrorist]] had targeted aid convoys before.
"""),
"EX_027": ("Oligarchs profit from war", """
[[Arms makers|Antagonist|Corrupt]] have made record profits from a war they lobbied to prolong.
[[The defence lobby|Antagonist|Corrupt,Instigator]] pushed parliament to approve new weapons shipments.
[[Young conscripts|Innocent|Exploited,Victim]] are sent to the front as cannon fodder.
"""),
"EX_028": ("Doctors without pay", """
[[Nurses at the city hospital|Protagonist|Martyr,Guardian]] have worked unpaid double shifts for months to keep wards open.
[[The health ministry|Antagonist|Incompetent]] lost the hospital's funding in an accounting error.
[[Elderly patients|Innocent|Victim,Forgotten]] wait days for a bed.
"""),
}

TESTSET = {
"TS_001": ("Drone strike on apartment block", """
A drone launched by [[the Southern Command|Antagonist|Instigator]] hit an apartment block at dawn, killing six people.
[[Tenants of the block|Innocent|Victim]] were asleep when the drone struck.
[[Firefighters|Protagonist|Guardian]] rescued twenty people from the burning floors.
"""),
"TS_002": ("Mediator proposes truce", """
[[Norway|Protagonist|Peacemaker]] proposed a truce and offered to host negotiations between the parties.
[[The junta|Antagonist|Tyrant]] refused and arrested opposition leaders the same night.
"""),
"TS_003": ("Funds vanish from reconstruction budget", """
[[The reconstruction agency|Antagonist|Corrupt]] cannot account for half a billion in donor money.
Its director bought three apartments abroad while [[displaced families|Innocent|Victim,Forgotten]] still wait for new homes.
"""),
"TS_004": ("Extremists recruit online", """
[[The Crescent Front|Antagonist|Terrorist]] recruits teenagers online and trains them to carry out bombings.
[[Teenagers lured by the group|Innocent|Exploited]] are sent on suicide missions.
[[Police in Harlow|Protagonist|Guardian]] arrested four recruiters last week.
"""),
"TS_005": ("The lie factory", """
[[Channel Nine News|Antagonist|Deceiver]] invented a massacre that never happened to whip up support for the war.
[[The government|Antagonist|Deceiver,Instigator]] used the fake story to justify sending troops.
"""),
"TS_006": ("Small team takes on giants", """
[[A small group of lawyers|Protagonist|Underdog]] is taking the world's largest chemical company to court on behalf of poisoned villagers.
[[The company|Antagonist|Corrupt]] knew its plant was leaking and hid the tests.
[[Villagers near the plant|Innocent|Victim]] suffer from rare cancers.
"""),
"TS_007": ("Alliance accused of encircling rival", """
[[The alliance|Antagonist|Foreign Adversary,Instigator]] keeps moving troops and bases closer to its rival's borders.
[[Border towns|Innocent|Victim]] fear they will be the first to be hit if war breaks out.
"""),
"TS_008": ("Mayor blamed for storm damage", """
Critics blamed [[the mayor|Innocent|Scapegoat]] for the storm damage, but the dykes had been the national government's responsibility for decades.
[[The national government|Antagonist|Incompetent]] cut dyke repairs from every budget since 2010.
"""),
}

#: Named entities only, each cast by the text around it, some named once, some under two names
#: ("Ms Brekke"); for the end-to-end gate (``evaluate framing --end-to-end``: ingested, analysed with
#: the default stages, scored on the export). Names in a setting ("in Oslo") are not marked: the text
#: does not cast them. Never trained on.
NAMED = {
"NE_001": ("Shells hit Varnow school", """
[[Kestria|Antagonist|Instigator]] shelled a school in Varnow on Monday, killing six children.
The [[Red Cross|Protagonist|Guardian]] evacuated the wounded to the regional hospital overnight.
[[Kestria|Antagonist|Deceiver]] denied targeting civilians and blamed the deaths on an accident.
Observers said the shells came from Kestrian positions on the ridge.
"""),
"NE_002": ("Minister accused of hiding flood report", """
Opposition leader [[Anna Brekke|Protagonist|Virtuous]] accused Water Minister [[Jonas Falk|Antagonist|Corrupt,Deceiver]] on Tuesday of hiding a report that warned of the floods.
The floods destroyed [[Lindau|Innocent|Victim]] last spring, and hundreds of families still live in tents.
[[Mr Falk|Antagonist|Deceiver]] told reporters the report had only been a draft.
[[Ms Brekke|Protagonist|Virtuous]] demanded that [[Falk|Antagonist|Corrupt]] resign before the end of the week.
"""),
"NE_003": ("Ceasefire agreed after talks", """
[[Norway|Protagonist|Peacemaker]] brokered a ceasefire between Kestria and Marvia on Friday after three days of talks in Oslo.
Both sides agreed to exchange prisoners within a month.
[[Marvia|Innocent|Victim]] has suffered two years of shelling along its northern border.
The Kestrian president, [[Viktor Dran|Antagonist|Instigator]], called the deal a victory and threatened to attack again at the first provocation.
"""),
"NE_004": ("Charity exposes sweatshop", """
The charity [[Fair Thread|Protagonist|Guardian]] published evidence on Wednesday that [[Orlan Textiles|Antagonist|Corrupt]] paid workers in its factories less than a dollar a day.
Workers were locked inside during twelve-hour shifts, the report found.
[[Orlan Textiles|Antagonist|Deceiver]] denied the claims and threatened to sue.
The company's chief executive, [[Paul Grant|Antagonist|Corrupt]], has refused to meet the workers.
"""),
"NE_005": ("Hackers hold hospital to ransom", """
Hackers of the [[Black Viper|Antagonist|Saboteur]] gang encrypted the records of [[St Anne's Hospital|Innocent|Victim]] on Saturday and demanded a ransom.
Surgeons postponed forty operations while engineers restored the systems.
[[Black Viper|Antagonist|Saboteur]] has attacked three hospitals this year.
"""),
"NE_006": ("Journalist jailed for reporting on corruption", """
A court sentenced the journalist [[Mira Olsen|Innocent|Victim]] to six years in prison on Monday for reporting on corruption in the ruling [[Unity Party|Antagonist|Corrupt]].
The [[Unity Party|Antagonist|Tyrant]] has jailed eleven reporters since 2020 and closed every independent newspaper.
[[Ms Olsen|Innocent|Victim]] spent eight months in a cell without seeing a lawyer.
"""),
"NE_007": ("Refugees stranded at the border", """
Hundreds of refugees are stranded in the snow after [[Dornland|Antagonist|Tyrant]] closed its border crossings on Sunday.
Interior minister [[Erik Vaal|Antagonist|Bigot]] called the refugees a threat to the nation.
[[Doctors Without Borders|Protagonist|Guardian]] set up a field clinic, where volunteers treat children for cold and hunger.
"""),
"NE_008": ("Cartel smuggled cocaine through port for a decade", """
Customs officers seized 200 kilograms of cocaine hidden in banana crates on Thursday.
The shipment belonged to the [[Serra|Antagonist|Corrupt]] cartel, which has smuggled drugs through the port for a decade.
The cartel's leader, [[Tomas Serra|Antagonist|Corrupt]], bribed judges and police officers for years.
Prosecutors charged [[Tomas Serra|Antagonist|Corrupt]] with trafficking and bribery.
"""),
}


def build(docs: dict[str, tuple[str, str]], out: Path) -> int:
    (out / "raw-documents").mkdir(parents=True, exist_ok=True)
    rows = []
    for doc_id, (title, body) in docs.items():
        text = title + "\n\n"
        pos = 0
        body = body.strip() + "\n"
        for m in MARK.finditer(body):
            text += body[pos:m.start()]
            start = len(text)
            text += m.group(1)
            rows.append("\t".join([f"{doc_id}.txt", m.group(1), str(start), str(len(text) - 1), m.group(2),
                                   *[f.strip() for f in m.group(3).split(",")]]))
            pos = m.end()
        text += body[pos:]
        (out / "raw-documents" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    (out / "subtask-1-annotations.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (out / "LICENCE").write_text(LICENCE + "\n", encoding="utf-8")
    return len(rows)


if __name__ == "__main__":
    print("exemplars:", build(EXEMPLARS, ROOT / "exemplars"), "mentions")
    print("testset:", build(TESTSET, ROOT / "testset"), "mentions")
    print("named:", build(NAMED, ROOT / "named"), "mentions")
