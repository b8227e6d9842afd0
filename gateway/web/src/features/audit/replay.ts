import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

/** The case as it stood at a moment, with every event up to then and its evidence. */
export const CASE_HISTORY = graphql(`
  query CaseHistory($caseId: ID!, $asOf: String!) {
    caseHistory(caseId: $caseId, asOf: $asOf) {
      caseId
      asOf
      registrationNumber
      stage
      status
      facts
      holder
      custody
      deadlines
      events {
        service
        aggregateId
        sequence
        what
        who
        organCode
        office
        at
        recordedAt
        auditSequence
        leaf
        path
      }
      checkpoints { service store size root head at signatureOk }
    }
  }
`)

/** A case of the auditor's subtree by its registration number. */
export const FIND_CASE = graphql(`
  query FindCaseForReplay($filter: CaseFilter!) {
    cases(filter: $filter, first: 5) {
      edges { node { id registrationNumber } }
    }
  }
`)

export const AUDIT_STORES = graphql(`
  query AuditStores {
    auditStores
  }
`)


export const VERIFY_AUDIT = graphql(`
  mutation VerifyAudit($service: String) {
    verifyAudit(service: $service) {
      id
      state
      total
      checked
      stores {
        service
        total
        checked
        done
        ok
        events
        checkpoints
        witnessed
        broken { service store sequence caseId eventType what }
        latestCheckpoint { size root signatureOk at }
      }
    }
  }
`)

export const AUDIT_VERIFICATION = graphql(`
  query AuditVerification($id: ID!) {
    auditVerification(id: $id) {
      id
      state
      total
      checked
      stores {
        service
        total
        checked
        done
        ok
        events
        checkpoints
        witnessed
        broken { service store sequence caseId eventType what }
        latestCheckpoint { size root signatureOk at }
      }
    }
  }
`)

export type CaseHistory = ResultOf<typeof CASE_HISTORY>['caseHistory']
export type HistoryEvent = CaseHistory['events'][number]
export type HistoryCheckpoint = CaseHistory['checkpoints'][number]
export type Verification = ResultOf<typeof VERIFY_AUDIT>['verifyAudit']
