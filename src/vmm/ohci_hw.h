/*
 * ohci_hw.h - the OpenHCI 1.0a register set, bits and in-memory
 * structures (HCCA, endpoint and transfer descriptors) as numbers, for
 * the VMM's controller (dev_pci_ohci.c) and the testcard's driver.
 * Fixed-width types and macros only.
 */
#ifndef VIREO_OHCI_HW_H
#define VIREO_OHCI_HW_H

/* Operational registers (offsets in BAR0). */
#define OHCI_REVISION	       0x00
#define OHCI_CONTROL	       0x04
#define OHCI_COMMAND_STATUS    0x08
#define OHCI_INTR_STATUS       0x0c
#define OHCI_INTR_ENABLE       0x10
#define OHCI_INTR_DISABLE      0x14
#define OHCI_HCCA	       0x18
#define OHCI_PERIOD_CURRENT    0x1c
#define OHCI_CONTROL_HEAD      0x20
#define OHCI_CONTROL_CURRENT   0x24
#define OHCI_BULK_HEAD	       0x28
#define OHCI_BULK_CURRENT      0x2c
#define OHCI_DONE_HEAD	       0x30
#define OHCI_FM_INTERVAL       0x34
#define OHCI_FM_REMAINING      0x38
#define OHCI_FM_NUMBER	       0x3c
#define OHCI_PERIODIC_START    0x40
#define OHCI_LS_THRESHOLD      0x44
#define OHCI_RH_DESCRIPTOR_A   0x48
#define OHCI_RH_DESCRIPTOR_B   0x4c
#define OHCI_RH_STATUS	       0x50
#define OHCI_RH_PORT_STATUS(n) (0x54 + 4 * (n)) /* n from 0 */

/* HcControl */
#define OHCI_CTL_CBSR	      0x3u
#define OHCI_CTL_PLE	      (1u << 2)
#define OHCI_CTL_IE	      (1u << 3)
#define OHCI_CTL_CLE	      (1u << 4)
#define OHCI_CTL_BLE	      (1u << 5)
#define OHCI_CTL_HCFS	      (3u << 6)
#define OHCI_HCFS_RESET	      (0u << 6)
#define OHCI_HCFS_RESUME      (1u << 6)
#define OHCI_HCFS_OPERATIONAL (2u << 6)
#define OHCI_HCFS_SUSPEND     (3u << 6)
#define OHCI_CTL_IR	      (1u << 8)
#define OHCI_CTL_RWC	      (1u << 9)
#define OHCI_CTL_RWE	      (1u << 10)

/* HcCommandStatus */
#define OHCI_CMD_HCR (1u << 0)
#define OHCI_CMD_CLF (1u << 1)
#define OHCI_CMD_BLF (1u << 2)
#define OHCI_CMD_OCR (1u << 3)

/* HcInterruptStatus / Enable / Disable */
#define OHCI_INTR_SO   (1u << 0)
#define OHCI_INTR_WDH  (1u << 1)
#define OHCI_INTR_SF   (1u << 2)
#define OHCI_INTR_RD   (1u << 3)
#define OHCI_INTR_UE   (1u << 4)
#define OHCI_INTR_FNO  (1u << 5)
#define OHCI_INTR_RHSC (1u << 6)
#define OHCI_INTR_OC   (1u << 30)
#define OHCI_INTR_MIE  (1u << 31)

/* HcRhDescriptorA */
#define OHCI_RHA_NDP  0xffu
#define OHCI_RHA_PSM  (1u << 8)
#define OHCI_RHA_NPS  (1u << 9)
#define OHCI_RHA_NOCP (1u << 12)

/* HcRhStatus */
#define OHCI_RHS_LPS  (1u << 0)
#define OHCI_RHS_OCI  (1u << 1)
#define OHCI_RHS_DRWE (1u << 15)
#define OHCI_RHS_LPSC (1u << 16)
#define OHCI_RHS_OCIC (1u << 17)
#define OHCI_RHS_CRWE (1u << 31)

/* HcRhPortStatus: read meaning / write meaning */
#define OHCI_PS_CCS	(1u << 0) /* connected / ClearPortEnable */
#define OHCI_PS_PES	(1u << 1) /* enabled / SetPortEnable */
#define OHCI_PS_PSS	(1u << 2) /* suspended / SetPortSuspend */
#define OHCI_PS_POCI	(1u << 3) /* overcurrent / ClearSuspendStatus */
#define OHCI_PS_PRS	(1u << 4) /* resetting / SetPortReset */
#define OHCI_PS_PPS	(1u << 8) /* powered / SetPortPower */
#define OHCI_PS_LSDA	(1u << 9) /* low speed / ClearPortPower */
#define OHCI_PS_CSC	(1u << 16)
#define OHCI_PS_PESC	(1u << 17)
#define OHCI_PS_PSSC	(1u << 18)
#define OHCI_PS_OCIC	(1u << 19)
#define OHCI_PS_PRSC	(1u << 20)
#define OHCI_PS_CHANGES 0x1f0000u

/* HCCA (256 bytes, 256-byte aligned) */
#define OHCI_HCCA_INTR_TABLE   0x00 /* 32 x u32 */
#define OHCI_HCCA_FRAME_NUMBER 0x80 /* u16 */
#define OHCI_HCCA_DONE_HEAD    0x84 /* u32 */
#define OHCI_HCCA_SIZE	       256

/* Endpoint descriptor (16 bytes, 16-byte aligned): dw0 flags, dw1
 * TailP, dw2 HeadP (with H, C), dw3 NextED. */
#define OHCI_ED_FA(f)  ((f)&0x7fu)
#define OHCI_ED_EN(f)  (((f) >> 7) & 0xfu)
#define OHCI_ED_D(f)   (((f) >> 11) & 3u) /* 1 OUT, 2 IN, else TD */
#define OHCI_ED_S      (1u << 13)
#define OHCI_ED_K      (1u << 14)
#define OHCI_ED_F      (1u << 15)
#define OHCI_ED_MPS(f) (((f) >> 16) & 0x7ffu)
#define OHCI_ED_H      (1u << 0) /* in HeadP */
#define OHCI_ED_C      (1u << 1) /* in HeadP */
#define OHCI_PTR_MASK  0xfffffff0u

/* General transfer descriptor (16 bytes, 16-byte aligned): dw0 flags,
 * dw1 CBP, dw2 NextTD, dw3 BE. */
#define OHCI_TD_R		(1u << 18)
#define OHCI_TD_DP(f)		(((f) >> 19) & 3u) /* 0 SETUP, 1 OUT, 2 IN */
#define OHCI_TD_DI(f)		(((f) >> 21) & 7u)
#define OHCI_TD_T(f)		(((f) >> 24) & 3u)
#define OHCI_TD_EC(f)		(((f) >> 26) & 3u)
#define OHCI_TD_CC(f)		(((f) >> 28) & 0xfu)
#define OHCI_TD_DP_SETUP	(0u << 19)
#define OHCI_TD_DP_OUT		(1u << 19)
#define OHCI_TD_DP_IN		(2u << 19)
#define OHCI_TD_DI_SHIFT	21
#define OHCI_TD_T_DATA0		(2u << 24)
#define OHCI_TD_T_DATA1		(3u << 24)
#define OHCI_TD_CC_NOT_ACCESSED (15u << 28)

/* Condition codes */
#define OHCI_CC_NOERROR		    0
#define OHCI_CC_CRC		    1
#define OHCI_CC_STALL		    4
#define OHCI_CC_DEVICENOTRESPONDING 5
#define OHCI_CC_PIDCHECKFAILURE	    6
#define OHCI_CC_DATAOVERRUN	    8
#define OHCI_CC_DATAUNDERRUN	    9
#define OHCI_CC_BUFFEROVERRUN	    12
#define OHCI_CC_NOTACCESSED	    15

#endif /* VIREO_OHCI_HW_H */
