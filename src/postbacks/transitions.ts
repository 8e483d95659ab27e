// The conversion lifecycle as one pure function: given what we have recorded and what the
// network now says, decide the next status, whether money moves, and the outcome to answer.

export type ConversionStatus = 'pending' | 'approved' | 'held' | 'rejected' | 'reversed'
export type NetworkStatus = 'approved' | 'pending' | 'reversed'
export type Outcome = 'credited' | 'recorded' | 'reversed' | 'held' | 'duplicate' | 'ignored'

export type Current = { status: ConversionStatus; credited: boolean }

export type Situation = {
  incoming: NetworkStatus
  hasUser: boolean
  creditPending: boolean
  /** Why an approval must wait for review, if it must (payout above limits). */
  holdReason: string | null
}

export type Decision = {
  /** The status to store; undefined keeps the current one. */
  status?: ConversionStatus
  money: 'credit' | 'reverse' | 'none'
  outcome: Outcome
  message: string
  /** A repeat that was not applied because its payout differs from the recorded one: what it sent. */
  mismatchedPayout?: string
}

const NO_USER = 'no user_id (or sub1) was sent: recorded without crediting anyone'

function approve(situation: Situation): Decision {
  if (situation.holdReason) {
    return { status: 'held', money: 'none', outcome: 'held', message: situation.holdReason }
  }
  if (!situation.hasUser)
    return { status: 'approved', money: 'none', outcome: 'recorded', message: NO_USER }
  return {
    status: 'approved',
    money: 'credit',
    outcome: 'credited',
    message: 'approved and credited',
  }
}

export function decideTransition(current: Current | null, situation: Situation): Decision {
  const { incoming } = situation
  if (current === null) {
    if (incoming === 'approved') return approve(situation)
    if (incoming === 'pending') {
      if (situation.creditPending && situation.holdReason) {
        return { status: 'held', money: 'none', outcome: 'held', message: situation.holdReason }
      }
      if (situation.creditPending && situation.hasUser) {
        return {
          status: 'pending',
          money: 'credit',
          outcome: 'credited',
          message: 'pending, credited (CREDIT_PENDING)',
        }
      }
      return {
        status: 'pending',
        money: 'none',
        outcome: 'recorded',
        message: 'pending: recorded, credited when approved',
      }
    }
    return {
      status: 'reversed',
      money: 'none',
      outcome: 'recorded',
      message:
        'reversal arrived before its conversion: recorded as reversed; a later approval will be ignored',
    }
  }

  switch (current.status) {
    case 'pending':
      if (incoming === 'pending') return duplicate('pending')
      if (incoming === 'reversed') {
        return current.credited
          ? {
              status: 'reversed',
              money: 'reverse',
              outcome: 'reversed',
              message: 'reversed: the pending credit was taken back',
            }
          : {
              status: 'reversed',
              money: 'none',
              outcome: 'reversed',
              message: 'pending conversion reversed; no points had been credited',
            }
      }
      if (current.credited) {
        return {
          status: 'approved',
          money: 'none',
          outcome: 'recorded',
          message: 'approved; already credited while pending',
        }
      }
      return approve(situation)
    case 'approved':
      if (incoming === 'approved') return duplicate('approved')
      if (incoming === 'pending')
        return ignored('the conversion is already approved; it cannot go back to pending')
      return current.credited
        ? {
            status: 'reversed',
            money: 'reverse',
            outcome: 'reversed',
            message: 'reversed: the credited points were taken back',
          }
        : {
            status: 'reversed',
            money: 'none',
            outcome: 'reversed',
            message: 'reversed; no points had been credited',
          }
    case 'held':
      if (incoming === 'approved') return duplicate('held for review')
      if (incoming === 'pending')
        return ignored('the conversion is held for review; it cannot go back to pending')
      return {
        status: 'reversed',
        money: 'none',
        outcome: 'reversed',
        message: 'reversed while held for review; no points had been credited',
      }
    case 'rejected':
      return ignored('the conversion was rejected in review; that is final')
    case 'reversed':
      if (incoming === 'reversed') return duplicate('reversed')
      return ignored('the conversion was reversed; that is final')
  }
}

function duplicate(status: string): Decision {
  return { money: 'none', outcome: 'duplicate', message: `already ${status}: nothing changed` }
}

function ignored(message: string): Decision {
  return { money: 'none', outcome: 'ignored', message }
}
