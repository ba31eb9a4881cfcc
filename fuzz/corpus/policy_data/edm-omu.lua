-- National EDM catalogue: Offender Management Unit (OMU), closed male estate.
--
-- Source: docs/reference/000_cb2c8140e1f61681.txt (HMPPS Exceptional Delivery Model for the
-- Offender Management Unit, tasks under stage 3 (Restrict) moving towards stage 2 (Reduce)).
-- Pure data: this chunk only returns a table (no function calls, no globals, no require).
-- tests/national/test_edm_source.c checks it against the source text.
--
-- Transcription rules:
--   * Text is exactly as in the source (words, spelling, punctuation, the source's own typos,
--     curly quotes, en-dashes, double spaces inside a sentence). Each paragraph is trimmed of
--     leading/trailing whitespace only. Word-conversion bookmark markers are dropped.
--   * A multi-paragraph text joins its paragraphs with "\n\n". A source bullet ("·") inside a text
--     is a line starting with "· "; consecutive bullets are joined with a single "\n".
--     Where a field is a list, each source bullet is one list item, without the "· " marker.
--   * A baseline's text is the whole Baseline cell without its leading number ("1.1 "), which is
--     the baseline's id.
--   * sources: one string per non-empty line of the "Comments/Sources of information" cell.
--   * weighting is an integer 1-3; autonomy is "total", "partial" or "limited" (lower case).
--   * Every baseline in this EDM sits under the source's "Mandatory actions" row: mandatory = true.
--
-- Shape of stage_descriptors (one entry per stage, in source order 4, 3, 2, 1):
--   { stage = <int>, heading = <string>, items = { ... } }
--   * stage 4: heading is the source sentence introducing the Red Regime (Stage 4) Lockdown list,
--     and each item is a table { group = <source group heading: "Public Protection", "OASys" or
--     "Progression">, item = <bullet text> }, in source order.
--   * stages 3, 2, 1: heading is the source's "Stage N (...) - High Level Descriptor" line
--     (stage 3 uses a hyphen, stages 2 and 1 an en-dash, as in the source), and each item is a
--     plain string (one per bullet).
return {
  kind = "edm",
  code = "OMU",
  version = 1,
  title = "Offender Management Unit",
  model = "Exceptional Delivery Regime model: Offender Management in the closed male estate – tasks to be completed under stage 3",
  estate = "closed male estate",
  applies_to = { sex = "male", security = "closed" },
  from_stage = 3,
  towards_stage = 2,
  signoff = { "pgd", "prison-gold", "probation-gold" },
  signoff_note = "Establishments will submit their RRMP together with a readiness assessment to their respective Prison Group Director (PGD).\n\nThe establishments RRMP plan should be submitted and signed-off by the PGD and Prison Gold. The section appertaining to the OMU should also be submitted to probation Gold for sign-off via the DIB.",
  stage_descriptors = {
    {
      stage = 4,
      heading = "Under Red Regime (Stage 4) Lockdown, in addition to administration functions such as sentence calculation and the drawing up of the licence, the following tasks in Offender Management Units in prisons are currently being delivered:",
      items = {
        { group = "Public Protection", item = "Allocation of Prison Offender Managers" },
        { group = "Public Protection", item = "Categorisation" },
        { group = "Public Protection", item = "Public Protection Requests" },
        { group = "Public Protection", item = "Victim Liaison Officer and Community Offender Manager contact" },
        { group = "Public Protection", item = "Interdepartmental Risk Management Team meetings" },
        { group = "Public Protection", item = "Parole related reports and remote hearings" },
        { group = "Public Protection", item = "Release on Temporary Licence and Home Detention Curfew" },
        { group = "Public Protection", item = "Multi-Agency Public Protection Arrangements" },
        { group = "OASys", item = "Pre-release assessments considered a priority with others based on risk of serious harm and stage of sentence." },
        { group = "Progression", item = "Recategorisation" },
        { group = "Progression", item = "Handover to the community" },
      },
    },
    {
      stage = 3,
      heading = "Stage 3 (Restrict) - High Level Descriptor",
      items = {
        "Reintroduction of probation staff (staff in post pre-COVID) subject to availability in prison settings, overseen by Divisional Implementation Boards (DIBs).",
        "Prison Band 4 staff returned to POM roles from other parts of the prison, subject to local availability.",
        "Limited Key work sessions for high risk offenders (TACT and high risk of harm), whilst encouraging other groups to be considered through the key work EDM, take place on a 1-2-1 basis observing social distancing.",
        "Limited support provided by POMs to key workers.",
        "Reintroduction of limited one to one work with young adults.",
        "Increased access to prisoners for Parole Board activity (eg psychology assessments)",
      },
    },
    {
      stage = 2,
      heading = "Stage 2 (Reduce) – High Level Descriptor",
      items = {
        "All prison based probation staff (staff in post pre-COVID) have returned to work in prisons, overseen by Divisional Implementation Boards (DIBs)",
        "All prison POMs back in post.",
        "Greater numbers of face to face Parole Boards take place within the prison observing social distancing.",
        "Increased level of key work sessions outside of high risk cohorts take place on a 1-2-1 basis observing social distancing. Engagement with keyworkers will be critical to supporting the most vulnerable prisoners as well as those who are approaching a key milestone in their sentence.",
        "Increased support provided by POMs to key workers.",
      },
    },
    {
      stage = 1,
      heading = "Stage 1 (Prepare) – High Level Descriptor",
      items = {
        "At this stage compartmentalisation is no longer required but ongoing screening, testing and monitoring continues to rapidly detect new infections.",
        "Regimes operating without the requirement for social distancing or PPE use.",
        "Staffing levels near target and sufficient for normal regime delivery including full offender management processes.",
      },
    },
  },
  weighting_guide = {
    { value = 3, description = "Highest– action required as a precursor to other tasks" },
    { value = 2, description = "Medium – action required as part of wider work" },
    { value = 1, description = "Lowest – action required once others have been completed" },
  },
  autonomy_guide = {
    { value = "total", description = "Establishment has total autonomy to determine the design of the product that satisfies the baseline" },
    { value = "partial", description = "Establishment has partial autonomy – the ability to choose from pre-determined delivery options (which are specified)" },
    { value = "limited", description = "Establishment has limited autonomy and must deliver the product as stipulated" },
  },
  priority_cohorts = {
    "Newly sentenced indeterminate prisoners",
    "Prisoners in the handover period",
    "Prisoners approaching parole, Indeterminate and determinate",
    "Prisoners identified as meeting the early allocation criteria (e.g. TACT offenders)",
    "Prisoners who have experienced care",
    "Young Adult Prisoners.",
    "Following keyworker/POM consultation, priority prisoners identified in the key work EDM who require additional support.",
  },
  areas = {
    {
      number = 1,
      title = "Start of sentence",
      baselines = {
        {
          id = "1.1",
          text = "Screening for Cat A/Initial Categorisations/Re-Categorisations\n\nWhere it is not possible to interview a prisoner, POM’s to use alternative technology and/or utilise existing information in OASys assessments along with additional information from quantum systems to support recategorisation decisions.",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "Categorisation and Recategorisation",
          },
        },
        {
          id = "1.2",
          text = "Allocation of all new cases to a named POM, which must comply with OMiC case allocation principles.  Where the case management support model was in place pre-Covid, appropriate support and mentoring must be in place to support prison based POM’s.",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "OMIC POM Allocation Guidance v2",
            "OMIC Case Management Support Model",
            "Allocation",
          },
        },
        {
          id = "1.3",
          text = "Bail",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "Bail",
          },
        },
      },
    },
    {
      number = 2,
      title = "Throughout the sentence",
      baselines = {
        {
          id = "2.1",
          text = "Public Protection requests and actions progressed including child and adult safeguarding",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "OMIC Adult safeguarding Guidance (England and Wales)",
            "OMIC Child Safeguarding Guidance and Referral Checklist.",
            "Public Protection",
          },
        },
        {
          id = "2.2",
          text = "Inter-departmental Risk Management Team meetings",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "Public Protection",
          },
        },
        {
          id = "2.3",
          text = "Contact with Victim Liaison Officer at key stages of sentence",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "OMIC Managing cases registered with the Victim Contact Scheme",
            "Handling Sensitive Information",
            "OMIC Victim Contact Scheme Briefing",
            "Victims",
          },
        },
        {
          id = "2.4",
          text = "OASys assessments and sentence planning, including the backlog but the following assessments should be prioritised: 1) Early Allocation, 2) Pre-handover assessments 3) Move to open, 4) COVID SPL release (all enable risk management in the community to commence and to undertake ROTL in the open estate) 5) Youth to Adult transitions\n\nOther prioritisation decisions are to be based on the risk of serious harm presented by the prisoner and stage of imprisonment.\n\nRestricted regimes can offer an opportunity to reduce the OASys backlog where other tasks/activities cannot be completed.",
          weighting = 3,
          autonomy = "partial",
          mandatory = true,
          sources = {
            "Case Management Toolkit on OMiC EQuiP has a range of OASys Guidance documents, including new ROSH Guidance, RMP and ARMS informed OASys changes due to take place in late June.",
            "OASys",
          },
        },
        {
          id = "2.5",
          text = "Supervision should be reinstated where it is safe and appropriate to do so. Should social distancing and/or alternative technology to deliver be unavailable, a duty POM system should be set up to ensure support is offered to priority and other vulnerable groups.",
          weighting = 2,
          autonomy = "partial",
          mandatory = true,
          sources = {
            "OMiC Supervision Guidance and Supervision Checklist",
            "Supervision",
          },
        },
        {
          id = "2.6",
          text = "Re-Categorisation - Where it is not possible to interview a prisoner, POM’s to utilise existing information in OASys assessments along with additional information from quantum systems to support recategorisation decisions and/or use alternative technology. Decisions to be fed back to prisoners using method agreed locally by the SMT.\n\nAny transfer to open conditions must be supported by a new OASys (completed by the closed estate and address:  a) confirming the move has been supported b) the VLO has been contacted c) the sentence plan reflects the move to open conditions.",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "Categorisation and Recategorisation",
            "Transfers",
          },
        },
        {
          id = "2.7",
          text = "Offender Personality Disorder Pathway – prisoners should be screened for OPD at the start of their sentence, if this has not been completed pre-handover or parole, these cases should be prioritised for transition into the community.  HMPPS Psychology to offer limited remote and face to face consultation to POM’s where possible. (HMPPS Psychology EDM currently enacted).",
          weighting = 2,
          autonomy = "partial",
          mandatory = true,
          sources = {
            "Case Management Tool on OMiC EQuIP contains a range of guidance documents on OPD.",
            "OPD",
          },
        },
        {
          id = "2.8",
          text = "Psychological Assessment for Parole directed hearing to be facilitated in liaison with Psychology Team",
          weighting = 2,
          autonomy = "partial",
          mandatory = true,
          sources = {},
        },
        {
          id = "2.9",
          text = "Youth to Adult transitions including sentence planning and review meetings and transition closure meetings, liaising with the Youth Offending Service and Youth Custody.",
          weighting = 2,
          autonomy = "partial",
          mandatory = true,
          sources = {
            "Youth to Adult Transition",
          },
        },
      },
    },
    {
      number = 3,
      title = "Resettlement",
      baselines = {
        {
          id = "3.1",
          text = "Early Allocation to the community",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "OMiC Early Allocation Guidance for POM’s",
            "Early Allocation Referral",
            "Early Allocation",
          },
        },
        {
          id = "3.2",
          text = "Handover meetings with the Community Offender Manager are to be completed via the agreed technology pathway.  Communication with the prisoner regarding handover will be carried out by a method agreed locally by each prison SMT.",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "OMIC Handover Guidance V2",
            "NPS and CRC Handover",
          },
        },
        {
          id = "3.3",
          text = "Contribution to MAPPA to continue via completion of the MAPPA F and attendance at MAPPA meetings via the agreed technology pathway.",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "MAPPA",
          },
        },
        {
          id = "3.4",
          text = "ROTL and HDC boards and if Emergency Release Procedures are enacted these should be conducted remotely.",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "HDC",
            "ROTL",
          },
        },
        {
          id = "3.5",
          text = "Licence conditions to be discussed between POM and COM and POM to chase the community if the PD1 has not been received in a timely manner. Communication to the prisoner on the agreed licence conditions should carried out by a method agreed locally by each prison SMT",
          weighting = 2,
          autonomy = "partial",
          mandatory = true,
          sources = {
            "Discharge and Licence Conditions",
          },
        },
        {
          id = "3.6",
          text = "Sentence Planning Review Meeting (Indeterminate sentences for move to open estate) and SPRE and SPRL reports for parole. Where it is not possible to interview a prisoner, reports for Parole should be completed using existing assessments and any new information available on quantum systems and in conjunction with the Community Offender Manager. The COM should be able to utilise Video Conferencing Facilities to interview the prisoner for the Parole Report and make an informed recommendation. Psychology Services will require prisoner access to report provision. The mode of this may vary depending on the case/assessment required.\n\nParole Hearings should be progressed using available technology.",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "Parole",
          },
        },
        {
          id = "3.7",
          text = "Recall discussion to take place between POM and COM via agreed technology pathway and communication with the prisoner regarding Part B report and any representations to be carried out by a method agreed locally by each prison SMT.",
          weighting = 2,
          autonomy = "partial",
          mandatory = true,
          sources = {
            "Recall",
          },
        },
      },
    },
    {
      number = 4,
      title = "Tasks that support case management delivery",
      baselines = {
        {
          id = "4.1",
          text = "Tasks which support the OMU are completed and communicated to all relevant OMU staff and any actions followed up by the POM.\n\n· Licence/discharge paperwork\n· HDC/ROTL\n· Sentence calculation\n· BCST 1 and 2\n· Custody office functions\n· Bail and supported accommodation for HDC\n· PNC\n· Confiscations orders\n· ViSoR\n· ACCT\n· LISP1s –parole eligible determinates and extended sentences should be prioritised however, indeterminates should be actioned where possible.",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "OMiC EQuiP provides mapping for all listed processes.",
          },
        },
      },
    },
    {
      number = 5,
      title = "Exceptional OMU tasks",
      baselines = {
        {
          id = "5.1",
          text = "COVID – SPL ROTL Compassionate Grounds: To coordinate the ROTL Board dossier, contribute to all relevant forms, update the OASys, liaise with COM and VLO and undertake any enforcement action where necessary.",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "Exceptional Delivery Model for ECTR/ROTL and SPL ROTL",
          },
        },
        {
          id = "5.2",
          text = "COVID – End of Custody Temporary Release Scheme (ECTR): To support any release arrangements as defined in the EQuiP maps",
          weighting = 3,
          autonomy = "limited",
          mandatory = true,
          sources = {
            "Exceptional Delivery Model for ECTR/ROTL and SPL ROTL",
            "COVID19 ECTR",
          },
        },
      },
    },
  },
}
