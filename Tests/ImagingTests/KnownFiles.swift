import Imaging

// Binary fixtures as base64 so the test target needs no resources. Each file's origin and
// license is noted beside it; all are redistributable.

/// Small files written by other tools (CPython's `Lib/test/imghdrdata`, the same 16x16 Python logo
/// in several formats), so the decoders are checked against encoders other than our own.
enum KnownFiles {
    /// 8-bit palette PNG with tRNS, cHRM, bKGD and tEXt chunks; its filters vary by row.
    static let pythonPNG: [UInt8] = try! Base64.decode("""
        iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAMAAAAoLQ9TAAAAIGNIUk0AAHomAACAhAAA+gAAAIDoAAB1MAAA6mAAADqYAAAXcJy6
        UTwAAAHFUExURQAAAE6NwEqGujxxnjdolgAAAAAAAAAAAAAAAAAAAE6PxEyKv0iFtkN9rT10oTlsljZmkAAAAAAAAFKRxv3dSvnV
        PgAAADJghwAAAP3VNgAAADVokgAAAOzORQAAADZpkxsxRQAAAAAAAOLDRf3ZQQAAAEaBsjZnkQAAAPLhbv3pav3LG0N9rhwyS/Xj
        b/PBGkB1oz1zogAAAMKaEgAAAAAAAAAAAAAAAAAAAOjHPevFNOvCKuu+Ieu7GMabEgAAAAAAAAAAAAAAAAAAAAAAAAAAAP3eTgAA
        AAAAAAAAAAAAAPHQP/rTOf3SL/rHGcCXEgAAAAAAAAAAAAAAAAAAAAAAAEiDtER+rUB4p0yKvP///0V/r0F5qD50ojpvmzZplEmF
        t0aAsUJ7qj51oztwnTdqljhsl0+NwUuIu0R9rUB4pj1zoDltmf/iVVCPw0yJvEiEtT10of/eS//aQU2LvkaAsDtwnP/aQv/WN//T
        LUqHuUeBskN8qz92pf/XOP/PI//mYf/jV//fTf/bQv/TLv/PJP/rbP/nYf/bQ//XOf/MHDpwnP/nYv/jWP/fTv/TL//bRP/XOv/T
        MP/QJf/YOv/UMP/QJpJJAAIAAABWdFJOUwCv7feSCwMoQRV+oKGjp6qqSBi994IKtkPtJPdPiD22XExHa/dG96pOpvf311uzwm/3
        S3o0CCE8NaqpqampeSACCRMSLB73QBwFAUzM99h7Ox1CRTgf+DIQcQAAAAFiS0dEWgO7paIAAAD1SURBVBjTY2AAAkamsPAIZhZW
        NgYoiIyKjomNi2dnhQkkJCYlp6TGc3CCeVzcPLx8/AJp8fGCQiC+cHpGWGZWdk48UCBXRFSMIS+/IDqmMA7IF5coKpaUYihJKE1K
        LkuNlxaXkS2vqJRjqKquqZVXUBRU4lBWqausV2VQy8xS19DUamhsaq5radVWYtCJKdTVa2tvbOrobGnt0udgMDDsNmrr6e3r6Oxv
        7eoyNmEwNTO3APItraxtbG3tOOwZHBydnHv7JkycNLmLw8LFFeJ6twlTpk6L0nb3cPT0Agt4+/hO6/LzD3CGec400CJIKTgk1BTI
        BgBAYkJ/yC2b5QAAACV0RVh0ZGF0ZTpjcmVhdGUAMjAxNC0wMS0yNlQyMDo1OTozNyswMjowMPuaB3cAAAAldEVYdGRhdGU6bW9k
        aWZ5ADIwMTQtMDEtMjZUMjA6NTk6MDArMDI6MDDB74amAAAAAElFTkSuQmCC
        """)

    /// The same picture as binary PPM (P6): the RGB reference for the PNG's opaque pixels.
    static let pythonPPM: [UInt8] = try! Base64.decode("""
        UDYKMTYgMTYKMjU1CgAAAAAAAAAAAAAAAE6NwEqGukiDtER+rUB4pzxxnjdolgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEyK
        vP///0V/r0F5qD50ojpvmzZplAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEmFt0aAsUJ7qj51oztwnTdqljZplAAAAAAAAAAA
        AAAAAAAAAAAAAE6PxEyKv0iFtkN9rT10oTlsljZmkDhslzZplDZplAAAAAAAAAAAAAAAAAAAAFKRxk+NwUuIu0iDtER9rUB4pj1z
        oDltmTZplDZplDZplAAAAP/iVf3dSvnVPgAAAFCPw0yJvEiEtUV/r0F5qD10oTpvmzZplDZplDZplDJghwAAAP/eS//aQf3VNgAA
        AE2LvkmFt0aAsEJ7qj51oztwnDdqljZplDVokjJghwAAAOzORf/aQv/WN//TLQAAAEqHuUeBskN8qz92pTZpkxsxRQAAAAAAAAAA
        AAAAAOLDRf3ZQf/XOP/TLf/PIwAAAEaBskR9rUB4pjZnkQAAAPLhbv3pav/mYf/jV//fTf/bQv/XOP/TLv/PJP3LGwAAAEN9rkF5
        qD10oRwyS/Xjb//rbP/nYf/jV//fTf/bQ//XOf/TLv/PJP/MHPPBGgAAAEB1oz1zojpwnAAAAP/rbP/nYv/jWP/fTv/bQ//XOf/T
        L//PJP/MHP/MHMKaEgAAAAAAAAAAAAAAAAAAAP/nYv/jWP/fTujHPevFNOvCKuu+Ieu7GOu7GMabEgAAAAAAAAAAAAAAAAAAAAAA
        AP/jWP/fTv/bRP/XOv/TMP/QJf/MHAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAP3eTv/bRP/YOv/UMP/QJv////3LGwAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAPHQP/rTOf3SL//QJv/MHPrHGcCXEgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==
        """)

    /// The same picture as P5 PGM, gray by Rec. 709 weights (how the tool that wrote it converted).
    static let pythonPGM: [UInt8] = try! Base64.decode("""
        UDUKMTYgMTYKMjU1CgAAAACDfXp1b2lhAAAAAAAAAAAAgP92cGxnYQAAAAAAAAAAAHx3cm1oYmEAAAAAAACFgXx0bGRfZGFhAAAA
        AACHhH96dG9rZWFhYQDe2dIAhYB7dnBsZ2FhYVkA2tfSAIF8d3JtaGJhYFkAytfT0AB+eHNuYS4AAAAAwNbU0M0AeHRvYADc5OLf
        29jU0M3JAHRwbC/e5uLf29jU0M3KwABta2gA5uPf29jU0c3KypkAAAAAAOPf28TDwLy5uZoAAAAAAADf29jU0c7KAAAAAAAAAAAA
        2tjV0c7/yQAAAAAAAAAAAM3Qz87KxZYAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
        """)

}

/// PNGs from other encoders, each with the CRC-32 and length of its unfiltered, de-interlaced rows
/// (packed as `PNGImage.data` stores them) computed by an independent Python reference decoder.
extension KnownFiles {
    struct ReferencePNG {
        let name: String
        let file: [UInt8]
        let width: Int, height: Int, bitDepth: Int, colorType: PNGColorType, interlaced: Bool
        let dataCRC: UInt32, dataCount: Int
    }

    /// libpng's `pngtest.png` (libpng license, from the libpng-dev examples): 91x69 RGBA, Adam7, zTXt/tEXt/sBIT/pHYs chunks.
    static let libpngTest: [UInt8] = try! Base64.decode("""
        iVBORw0KGgoAAAANSUhEUgAAAFsAAABFCAYAAAFS7arkAAAABGdBTUEAALGPC/xhBQAAAAFzUkdCAdnJLH8AAAAEc0JJVAUFBQVN
        pS32AAAAIGNIUk0AAHomAACAhAAA+gAAAIDoAAB1MAAA6mAAADqYAAAXcJy6UTwAAAABc1RFUgG15LWcAAAACXZwQWcAAABkAAAA
        ZACHJl7mAAAABmJLR0QA4ADgAICVzS8gAAAACW9GRnP////2AAAAFAG9euuUAAAALHBDQUxib2d1cyB1bml0cwAAAAAAAAD//wAC
        Zm9vL2JhcgAxLjBlMAA2NS41MzVlM1dAexwAAAASc0NBTAEyMzQ2N0UtOTIAMzE0MTZFNuR/DbcAAAAJcEhZcwAACxMAAAsTAQCa
        nBgAAAAHdElNRQfqAx4SOwM2dAGkAAAACXRFWHRUaXRsZQBQTkfcAXk1AAAft0lEQVR4nO2cT2hkyZ3nPzmTgt8DCSLAgheGMsRA
        DzzBGlIHQ+aCD7ngARXMIQVrqNqb5jBQfVPNqfuwA+Wb6tZ1GLDmpjoYlIeB1sHL5GEMmbAGJUyD3qGXDUM3xIMqeAGd8MKQTe4h
        XqakKlV1VdvusXf8g0elKjMj4/0i4vfn+/v+HvwhZFjY1c+PhiuAv3j1zfUbBz27AvjkaLjKlTCeOgC6AA+GxXnl69GwZxhfuqci
        5AI86Bcro4Tns7IDkCvp/wXA80l5mCtNYQxK5PjJw6F3oR4DxJh+7aBnV1WIs82UQoyUribLoHSeo+H+yFU1dYwYLSiR6ykB+Ngw
        dRUAPav48HTSAag+jcejfXsC8fbNPhoWqwfDYgXw0ai3Sl/MR29U3Vo7363860ej1bDIVwB/efONJ6P++aT88hcAZ8cHq3n5xc7n
        L18MlsuMfEc+69yc88x5itzw+PmkMz05Wp1PLpmUbjZ3YQCtGqv6WoW+dvzfT09Ws8kUYwTjdd/09GpY5Nc6BzBauPI1P3t6Om4a
        RqFdoKaBnjVpk+U6o10w9ozmdFIeDvcMF3PX6ReGSGTuwvUdj9odeH588Ead/wVAbH8O4PDpRefbqvmdRYS8l6vRQc/69f913/aF
        u+STo+EqAo/bTXp00Fs551GSISLEG5v11ik9Pz5YfXI0XJ08uN6LJ0f91dkNPZ1Nr7BKAelQ9o1GJCPEhipExjPXuXPwqfNMrzxl
        5fnkaLjqF/nK+8h07vj0o1H6gUiFCDZXK2sVmQiTuTMASsGjg97qX9vP3hrctOvv64gAGTB3gUtfczaZc3Y8Ws1d1ZvOS/pWU1UB
        JcJBv/BKNETwPtytFoCBNRgtXFw6rNFYIxiVkWXC0dOxOT8+8MYIz2eu0zQQiRRG0AKFzTFaKKvw+uCF0UxcsoDS3sXppOwM93LS
        QFT3n150hAyA57Oyc/j0ovOz8bzTswajMy4u3WBtkW7JJ0fD1ahvV4+GvVXPqhOAg549P3nQX71t83+jKCH/1l/+k5YHfXsCt23H
        a7vlfUWJ5B+N+qssk+OjYbFa+5/3HnxY5KOfHx2sjlrXA3DycOhLnwxv00AV3nD8X5VPHgxXnxwNN4bI+cDMOc4mpQE4eTBczb1H
        EOo6UoXI2bR8ffCeVaMno/7qXz8arY4PeucA4/nVjOZ6Fyktg2ScqB70i5VkgvOBKtREwNf1+GJ+h205GhbnVz5wOikZ9uzo0UGx
        mpbVyBjhyVF/rQbrfeBBv1hVoWbfKkrnmZRV52LuOmUVDtfquzW4b9K/WQauCogIo37hS1+jyDga9k7mLhyG2DCvPE1MNsiF2Cly
        db6OPs6PD1ZTV01vDW6ydKTrOuJ8jW5XvYmRi0vH8WhwnP6GYWHZs5oYI8MiX1mjN7GEAAObD24Nrq93EFoJl66iChFrNEpgWjqu
        Pnm00iqjZw11E2mIiGQIyRYJMHc11ujbg7u6mUUigYae0WgEJcnshggfPrsw89Jt4qgQGkLdMCiSJVz/QBNBibwyeBWm+zbno4MB
        TyclLtSs1WC0cHTQ8x+fTQf39y1GYFJWnfOZozAa30SsEXQGSMQq3b81+PnUnQjw4fMJuQjWaLQWqqapmiZ5fBfCzNf1xkvOXNWJ
        ER4OCkAQEQbW8OHzZHJvhpWVkGGV3ixM01CdjOc9owVfxxnA4+ezjvP1Zn0ePrvoTEs/05Kxb3V1/0aoccv7R8BqaWcmPJ/NzUHP
        niMwmbvNjiirML75vacX8wF3yK3jr7K0KEqEZ5N5B+DhoBjp9lSuP3c6KQ/vGuytcn58sFrHwb9XUSL/OT1RkavXsok/fID6HnJ+
        fLAqQw0NWK0RgdLV9ArD/Z+Nb831vWPcbys9m48+Hu0/u5i7s9NJ+fjme59+NFr5KvLs4pJcJVvrdKBpYN8qYoyvjfcH1XiupL9v
        zXRYWIwWTidlNSlTOAwptx3uWwSYXDoiDUqS7YlEYkw5cGHU5kSv5Vtr/KBn/cOBzX3dYI3myXh6OHe37Y3RyaaXlUdpy3rSSmR0
        OLDno35BiJHTySVChhJNiGnCACLpcj6ghDzEa/OzmXi7lOd1iFR1gwjUMVK6wL7N6ReGufP4GBlP3eHF3JmLueNoWEyV1v2PR4Pz
        Selnz24ZRxnUocEaxb5Nin7QL1ZZlvx6CJE6RpoASEMVARqmrhrEyOxtinttqyghfzzq+wYI66AspuzsoGepY2R86bCZgIBRCh8i
        o56lCoE6Ch+eXruKfpGvMuCjo0OenV0QYoOSjEGR07OGGCP335DF9m0+ut+3z4QsL6wwL+vZx+PZbc+8lhCpBNg3+tak08tIqBsO
        9nIufU2M4KuAUcLTizkiglZw/tHRKlfJdoc6tnhNTSB5ekjuzlURFyLDIkVSo55drV8f9OxKq+z8sqzywipCiKwnfefEAaSNurhx
        mq98jasbJIPQQOUDn146Ll2N0hk+NJxOSq5cjdHw7PFDf/7keOpDPKsjjCclo/0Cm+uUxEXQCopcAQ3S3oxKC7m5ICmnTkDV8Vsn
        vhbfRMo64upIBqgswyjNpavoF5ZBYbC5Jvhmk+rPXcXg8Wkn1h6D758dj85TbBaxSogxEolcugrna6oQyZXexAMigtbpkvbvqm4o
        ckVh1Ns17nw9g2SGCqM4KHKOR/vEBs6mJa5qCLFGSNhEYTVGdIoeI1glo4dPLzpXrsKHwMPBHr6O+BCZOn/oq4a5r3Eh5dfDPYPW
        YE3S8XrCOmsD+RAIMWLUdQx958Qnl+4kxkgmSUOTsuLj51POZldIJliVTJfWgkbwPtJrHUVhFf3CnAP83emkE2OsRGC4n2NzoQpx
        PHNVx1WhU7p61sSIUUJhDCBkWbJmdR0REaxS9K3Bh9tO6I0OKKFADWcTR5FnxJg0kWUpDdQZ1A2EGGd1bE7uF/bcx4AgrW0uN2MX
        uRodDffP28j5td8UyJ886HvVnq3YgI81VmuydqM/fDZ5RwfUJFSkyANapy0Qm+u7FhGe3/Bmjw/28WUgphW7FZuWVRh/PJ6Yk4dD
        /6ojgYSuPH4+ey8v/sbDqfX1uU5gUkQyUCLMSnf49OJ60kfDYuVDpK4TeOVCHL86XoxUCdaRV9/6VvLGuzx7lLCMOtY4H0GSQ7q5
        BSCB887VZzNXvTbZP6TcOfGTB/2VZAnRnJVu/OmlO6lCfKsL/rP8/yC5kv5/9By+UfpFfnw0LE6UkOdKRk8e9F9Lfr+zrOeb5Mmo
        70WTR6BQmiI3x4URQsJn8hDjxmz+5VvG+c7k5MHQb+9s5f8y/Zzmq98y//wlX7wM/JXZoY5L3MuvZlVYbLDI3xmhfRcRIT/o2eOf
        H72OrD8a9qYqk/xsckWuMkJMGY7WwqeXHgH2rb6F0vxBt8fZo4MVkkLSEOH04vKWZ7RKjoc90xeRFE2GiFItQNkWOGZXnt6eGcAd
        oO8fQj69LPl0WuIDfDp1TMrK3Hg7/+jh4ATgrIUNjbn2nOuE2IWIecWCfCtN21z1P7q/P66aJu9bw397BdO4/mGQ1oW/CiGMetaD
        UIdIFWq0ZJtvhcithLh09a3vfitN+yq40te51RlzF95aAg0xkglMnd/sy1HPrrROIW7VgEiGEsHXkSrQRpnpIsLZtHx6c8zXNK2E
        /HBQPOtZM4pNQ88aXBXQSnj49MJEqCJUTy/mneOD3qqwKecc9e3JeOZuATghNOQqJQ5GK1OFir7Np4hw0LOIwKRMtbZUBWkQSaFx
        HZtq7qrRXVn8Zlk/PR6tQgzUscHXkX1rmMwddQMPBxYfUsI1uXLVeHYN1JwdH6yaACaH+z+7nYEnjaYA38U4nl46V1hzLMCH93vU
        TeRsVuJcvYmlfR3H65rFm2SzPe4/HXcePpt0ImCN5qKdcIiR8dyxZxWxgcFenj8aFqthkZ8DqSShwIfIJ3ewEwTwMZKLmMLo4xgj
        IUacD/gQCfU6pwyHk7LqvGnCSiR/0C9O4I7t4esUjgogbZoVY2Ry6ekVmrlrWtBfjx5ZvVIZlL5GyLBG6Nl8NG/D1YvSDQbWTq0R
        Bj3bn5UO1Zau2zoPpfMDd0cUmSvpDwpz+HBQHNchHem/a7GX1w6iFqmUzqibVNyp63SMfYzMy5rCaEJocHVsD0zGlasorMLHyKOD
        wfl6rBiZ+brG1wGtNb6OTF2qNNHmjHXEtZoc9Ww+HRb5atQvVnvGTENgAytkN/KI1yZdhzSZ/T2F1ilTTisQyE2G8zUN17lIqBuy
        THg6nhJjw57RXH7yaLNN1ryJOkYkE/atwagMrZIxfDgo/LCwq0Fhzo3K+pARY0Rap3RZemIDuXpLLdTV4QzA+5RKNa3GQ2zIbnxO
        SXpPsoymiTSkJBUa6gD9wvYBrnw63FoEm2epWCWCC3Wyx8QN1QS49ToCro5onRLoN066dPVUAGOuMYnkijOcbzA6o6ojkzKxJYTk
        orVkTMuKKx/IBC5OHk0BtCRygBAREjkmSUYdUkZ/E3V69YoxuXbn3zLptWNydaRu2hgggg8NPatxvkFlsGcUWjTO14hAjA1KC7PS
        Qay5nJecHB1MrdHkSlP6ukWp0rVebZvra0+yUfPNRDghA3JjmV+zHs6HaSZthh2v6R1GZZQ+kpsM63Sbuacp6EwIoaHyNbnSTK+q
        SjLJjUhfteyZ5sbytucQoxLb49LdnGPCW2hkY2Eikc0fd2k6RKomJmth2mJfBIbWojTMyxprVOK6vKIgJRmRyOPnE6MFcgX39y1E
        MAK+aiirhMqWPlX211Gdzthsx6a5nmNGMg43NX1n7JEJFDq558IoRvsWrQXnG0rvmXu/4cmVLlAYk8rNco2bfHJxeQjQENkvclyI
        lD4YLVLVoeHi0uN8TYip0KuUUDfp21pLexOpFF3VDfpt1iP9UDJl/cJQKE1oGs4vSyalo4mQS4ZSsonEjEqI6Jrg07f5+cxV47IK
        VHXDGgKzRg0mZWUi8WmeCT5EvI8YrZm70Jq6VDZXSiXLQiKzAdg2RL07yotQWM3FpWNeeT6dO3xoMCpLwXpMS9k0YIzagIZCuhGt
        MgPw4emko7IsaaEBLViAuQuP564yvk62Ozapdq91csVViFQhkCvB5GoD/vsY3RsnbXNF6WpMJlw6T4yJrpc0G1utpiWMMbag+bU9
        db7eeMXS+bExkggI1mzC0wjV81nZmTtfrYF+q9Rm2+UqjdWkqIKLuXsaW0zwzknPXaBnk5kSEYo8ueDCKHSWaHDpAAqnk7Jj8mRt
        lUDdRHyI0/VYzybloZBM1k3Hcf3+3MSmqWrAmox9qylyhdUaqxQZcDq5OrxZt3xDiYNZ6SM9azYZhdVp6euWISHAs4u5gWS+dJYi
        QqsVId4OgB6fTQexgX1r7iSwPn4+M8/Gs5amJxRGJ+peWT39eDzrvIoX3plu+bphYDU+XHMc6gbgmoN5ceker6kIPsS3AqNlFWaS
        vR07jZHqVVz6TXKnpksfpqnCqjdeMYM2boBZ6cdlFa5ToCbBwXX9GmN4I49PZ52b8cPvIm+wHtHXMdnHteRmzdSJTMpqE6gPeykZ
        2DM6cRidfyP0+/H55Z0sk9/LpEtfO5ML6/zPtvCUCDx7Bae2Wo/WqX9hNb6OZ2/6MVeF3wtk/CYIwfs2j7dGKH3AZMLTi/ImbkHP
        qlHTMD58evH+1JrfQe6ctNH6kBgJ7e7QmXB+6Q5vcoAA5i6MXy38fxfy2qT7RX7y6KA4jhGc97PxpTt5lQH1Ryd30Xf+LH+WP8u3
        lVzJ6EG/8I+Gxfk3ffaPpvLyxyY2V/3hvnlqjeqnrCzD5oKrWgirrmdViP2mgcGeQYQBk/KtY/5Z2TekyFX/48PB2Ncxt0aYOs/k
        soLYoFSGOCG2nI/hvukPC0VZBbQIuZL81XLcq/JHUZ77jxYl5E/++/CXwz37P3e/J9svfxt5dvHvhPA1+Tbs6h3iYskiLtkWyLIu
        X75c8GKx4ActyKq1UIVF9flbAsQ/Kr7t+4oSyQujBvvWPBwUZiSSkqoE0ArT0nE2LQdvI1UMi/zkwXDvWLcQzulkTowNuUqAZGjz
        eBHIshaazLgBgEX2bY7Rmivvxz8bz98YAP/JmhGrpD/ct9O6idg8KWpNzJuWnrqOzEr3+E2KVkL/4aCYmlyhJUFJznuMTolkSjAS
        WrmWpklAXn2DSxmBSVlxUGQMCzv6GfM3zvk/TNki5D2bP7RKm4E1g9PZ5cl7ZhlmjU1fugobwWiNVkJ0kYu5G7yKb6ylZ9V5kZvR
        sGdb7mokNA2lD8SYUMZc9AbWXQPtkUisr6HgG/fC1HkkS3a/fIMp+U6V/WjYmw4L01ctFFbHSOUbtBZOHgzPJ3M3+9kb+kVeE7lZ
        0haqELAtKXjq/NO7FK1ERsPCnIsIhwOL85E9o/Ehclkmv7auKq+VXDctNzxCKt5kG1znJpIWYqT0NT1rDn+vys6V9LWI6Vk9uL9v
        H7Y/nV85X4XIdHLlTu76wWeT+eB0Ms+HPTtXIvlwz5DrjLpOGOSwZ/taiX8ynvVe5Sa+KoJYHxu0pEKZziRV9KIQG27FvCL0h4Ud
        K5E8ErFGAYJpYYfYNBv8ad2k5euYdvlGMoRrBE3aBXB1PfYhnITI7OLNFgR4g7KVSG6UDHpWP9wzanRzCa1O9QAfIrFpcD51GeQq
        2QUX4qjI9YgWQx1P3Xgyd4/W4ESE6qLtGK5CfT4a7o1MW9sKAQqj8ydHQ//4dGLiWxQuGUZLYn7v22tWd24ElckGvenbfGpU1l+b
        hAzh/r7F+YSOl1Uqhse2xnxbwWzoBwA+NjPnwkmMcfoq2PIucict1+Zq0LP64WAvH0XASIarG9aOeH3kEJAsFRKbJuFrw8ICiTBd
        +YbcZKmjIlVYZ97HW0DLg749H+zZkV0XE9tFqmLD2afl4ZtAmZ7Nz63KRiE2G/MhCEcH+5xOLscXl871rD6mpTBH0mJaI4z6BZCA
        ywYYT0ucrzetcgBNpHJ1OKlCfHrX738b+cbQr8jVaDQsznW2LsuBc/WGh9Tc2AhVSDT84b5FKcFXgdB+YOoqdCY0TYRMMCJMSvdY
        izDs2ZM6RIY9SwgRX0dqGva0ZupebW1JkisZ7VvzLL28DtEeHQ6JTcPpxQwRIYRIbAkyIrBvc/JMs2cVVz41dDx5Pp2VPkxDjCd8
        ix273qDDPfPQ5MoIWb9nFXMXZs8upsdrJsY32uyyCmOdpXQ11A2+5aKsZU1mEAGjVatYj1UJ1tZK8KFGZ+l5E0ZlaJJn37fmRClB
        aahjIpc9HKZdRw2NwKAwfWuMf3I26d3MzqoQxxdzN+4Xua9Dk2fr+g+C1hBiag5BUo01tEyRwqamxuYG771q4vGbIhdIjlUEa416
        nEGeK839/cR6qkPEtGm8kGpxVYh8eDp57VS+k4O8vKrGw307MkojIeJJTSM3d3XTVm/W0rPg61R8tiajZ1PnTYxwFZLSZd0r0zYM
        ZlnkdDJnuJda4HyImFyhcslPj0f+2cXscDJ3t24g1NGpTPJ1K3MiMbXrFZt2SkKqJGQQITOJGbhnFFcuoDIZFLl6LJkMtJDLjer3
        muOWXjebovv5tNzc7cG+xSrBhbQR2+RqUwtcyzul6x/c0z/dQYqXISLZFl8DcRHJdoQsWybHkyUzEpZfsVhGdre3+cBolp0O1YtU
        l/7NiwUisMMWZjc5rG4XtrpdXkZYxgjLJf/2uWdJxOzuECP8wGi6nS1+vF/89N693Z1fzT//5XpuO13Uixh/Ip0uX7Pkg3uG7a0t
        Xi4WhLBgdztDyxayvYUI/PUPtunSAbp0u7BYLPma+JPlclmY7Wyb7tate+92b77eYgl0l2tWZdqtMcIHdpe4iIR6ye5Ol3/+VfkP
        r+rxnRiTrqrPCqsprN6s8jWRC+qaDVMmEQQ0dUjdSFpIXKmmwYcaV9W40HBZpsaKNYXT6hRulVU6LqWrmV765CN8jWkJB/f7vWP/
        6SebJzCsnfb69ZooaZTedLInFkTL+WkTIX0jtV9/d3MuW5rpJr6+8Zobn1v/l6sDIbRNUTT4eHcT9jspOzbp5ktXp6OUZWgNiUUS
        N8mFSKI/VS2pVwDnm0TorQKxWfO54obltj7+RrKW05XGUJIBkXnp8CFQOo+RiHOO2rv86ucfrYo874cQz6xJzAwtGZdXDu9r8vb5
        QzcvSOZjo6yYmEy5UmTtkq1xECUp5haV6CtqzeHhxiXXfXa+juRKUJkm1JHDgb3FeoV3NCM726KOfvzXR8ZkxGWHL75qmDvPy5eR
        RVwi3S0WsSHGJV8tl+xIhpJtvq93MLsZL+uvcC8CWx3YyXbQ2xndbjrWuzvCcpkIdovlki9eRrZYIttbLCIs4pLL0s9CXP56d1uK
        F4sFoVqgs6/Zt/eOIstK6PwkkwwloPU221kyBW7zYJ5IZMkyLlksIveMEGOnffhPl51si9K/RInQ7XZvXMlMdOGV/2+v9r0lsJ11
        MTtb7Coh/jayZFn9qqx+8d7KDov4pdXf+/uXIW53t7bY2lryVf1blmzR7W6xoKFZwpZk7G5v8eMPcvbvadyLGr7uwNYW/kVkWzrs
        aqFLF73ThWWX5RIWcVnd297ZfrlYUIfIVhdiXKYFAX5gdu6dTT4bllU9u/9fzE+/WiyIS4Al93Z3frKz3eXzL1/QlS2WLRNnV4T/
        9dnnLOkQl63tba/t7S5bS9A644uwwGx3WdKl83WkswVb7bVcvq6LLIOtJWxl15/LtmAbobvVQW8LYRHJskxfzN2tGP2dWe57NqPX
        2uy6TnDjjSlgJMNqYbhngQzf0jZcXTN3vjU16bitcYd1CJllKdnIVUq5U0x8TQ9NVDyxc1eNj55dmEwEHwKqxUckg4PeHiFct+T6
        GKkjT+vY4HzN3KWrdDXjmUvNnyG22bdg2gikbq6jLJ1xw+anv9vbBW6bqNCW9G+0ILxms9+5eKC7MohLiu7WFrt6i92dLvfUNnZ3
        l7/9YepB7i630DvCPd3lV595/qX8ki9DBJb4RcNvY4ftbgLft7aSiaC7hOVy8df3drd1tkXpF8k+7ggv6xSdfGAUWrZ0WYVfxCWL
        8a8//8eeVX+TbWX3zHaXl3VEZVv86IN7OL9gV8NON+Ps38rD/1OFf1gs4j/96APzP+7tZtvL34LQJcSvsUZzTwkhLsmyLssuuGpB
        XC7ZzbqICNsC0oUQl6w3ugBdEbKsu7noJl+ztbVkd1uo6iX/+3P3T3HJ4r2VbXZ37v3t4N5POt0lL180vFhEfvNywWdfvOQzX/Gr
        suLFIvKZq7gov8AvFiyXS3a6W3S78AO9g3S7LJZLlizRO9uQTAjSle2sCzvZFi8Xka2tLos6si3C7u422wKLSPHBvZ2/L79MRKZf
        ldVpXC53fmR3By8XKUx8sYj86INdFnUHo7eZf/7FrFrEcgmLz6vwtPwy/OMiLn/5w3v6flfYLr8I/NDu8tUCdrchLDoUPxCWdKmX
        SxbLBR3AvViQLbvIjrDd7bK93UV3hZ1ul253SXgR6XaWmO0UquqdLouvl5Rf1LOXi7gpTL6zsrczjNne/enLlw3f28n4vs5wLxd0
        6fIyfsVXcUkVAiHCve1ku7+vd1iyJAaS4ne67GRd9NY2cRnZ2oJdvU2nk3bDonVgX7SK1hlpgRaRsIz4qvnll2GxcTqfV+GXZfXV
        Zz/+4fd/GhZLtAhfLGq6W0u02sFV4cuyCr+8eR9xufyyrMJT92X4J5XJXwHF7s4OWwJxsUTvbrFcwnZXyOiyLdt8/fWSZgmdTjL+
        YZEghReLSOfrJd/bFQbFPZZfL+luwY50+efJvz/+9W9e/vPN337nsphVqn/ycDBdl55cXTMpffs4ggQCFfma2x6J4bprDm5jKGvb
        V5PM3/TKPy6M5uGwOFn36GTtI46EFMfqTDif3l0QECF/Mur7om1I8k2DyTJi08weP599Iz4ukJ8cDb0WoY4R3zTs6YwmQmga6siG
        BJyRQLaGxFUvTCIi25Ye++mlGz+f3f3YpXfGs10IM4QNMrdvDS7EzeM2YkylJGk5t6Kl5eHKpoyUnquVHvemtUAdqtO20SlC/wgS
        IbgKm1g3kZGFuonVm/CLGFMf/smD/lTI+utHoymd2Xe5t8i6VR5GPXsy2M+PU8yvicC+SU9nsCYhkwe9hDKWvgYB58LsyXg2+iYM
        /r0Kvkf94vxgYEcignOBeeXxPm52cGqPuK7V0ZLus/aZASHG9b/V+dSNXlXezx+lpqx56UnVnJSlWiNczP3TuateSxRelYOePRnu
        58c0UFjDw6dj801KeJMoIR8W9rFOCZLdt8pMy2o69/X5t6FZvlelRjIcMSULxghkBiFlzusGgZuKJktHLWVXIFGYOz++SX7djC3k
        oX3ckbQLU9eJ5Rsj+Dq8BuzcJRdz9/jS+fOPDwfTECKFzQez8ts9SyFEqvH8uv/x+e/IYn2vbtLS1963DzmJrT27ARmkrj2S0nOT
        0mWRdW9N5HQyN3cpOlfSfzgo/BqDWOMvWgum3eHVHU/KeJNUIc4+PJ106hgrLe9mSr4Lea+dXdfRWZVYQFYJeZZx1Vx3kFijkNbO
        ViGR5asQmVy6w7seKwJJ0ff37dS27QV1TEXYS19vCqtX/s1U77fJh6cT882f+u7kPc2IbEyIax2GaZ/rslayb6s1EcHV4Van76uS
        K+kfDYtpRvLqANNLP9YZTK78WYzR39Vv+qcq7+Ugba76nxwNp67d2aWPKJ0QwRAjvomYNo1/U5j2n1neOanpWXVy/Df7py8XESOS
        gPevlwn8B3Z3BZbL2edf1L8Y//o3/zUul1/+Aef9JynfuLNHfXs+sPnI6AxXN7NLV03nrj73Ibi3UQ3+LK/L/wNIQSv09SDOlQAA
        AMZ6VFh0RGVzY3JpcHRpb24AAAiZTctBSsRAEAXQfU7xlwozYUDwBOJOHeIQ1z3dP0lBUtV0VUZye7e+/RuohY0F9wNXNhcPaiZs
        wigupniK7RlDOnBrKbN1I5uLKV76ywm7i86IhbjJRscnfzHYlhSTaSBpwdvH+49Zee27b9FMXL/G85AOFKNDLVCkMa9xwPdarQVE
        g21NmQW2R93j1MUijklWYkmOO6nIpg+2YEEYkv5fsqWZeEhC6qp5nGuzTHfRGR6s/R9uCFcjhB0+5gAAADRlWElmTU0AKgAAAAgA
        AgESAAMAAAABAAUAAIdpAAQAAAABAAAAJgAAAAAAAaQFAAMAAAABASwAAJ+9qkIAAAAASUVORK5CYII=
        """)

    /// Adwaita icon theme (CC BY-SA 3.0) `zoom-in.png`: 48x48 8-bit palette whose rows use all five filters.
    static let adwaitaZoomIn: [UInt8] = try! Base64.decode("""
        iVBORw0KGgoAAAANSUhEUgAAADAAAAAwCAMAAABg3Am1AAAB0VBMVEV4eHgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAC/v78AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAYGBgAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAC6vrdnZ2QyMzAwMi69wLq+wbtnaWZ1eHS+wbq+wbtcX1pbXlpTVFF5ena/wbu/w7t4e3W+wrq+wrtdXluJ
        i4jS1NDT1dB/gH1+gHytrqzp6uhVV1NZW1dgY15hYl9hY19oamVvcWx2eHN9f3p/gHyEhoGEhoKJjIeLjYiPkYySlI+TlpCYm5WZ
        nJadoJqgo5yipZ+nqaSnqqOrrqmusaqws621uLG1uLK6vLe6vba/wrzBxL3BxL7CxL7Cxb/Dxb/T1NLX19ba29nb3Nrc3dve3tze
        393h4d/h4t/k5OLk5ePm5+Xn5+bp6ujq6unq6urq6+rs7Ors7ezt7ezt7e3v7+3v7+7v7+/v8O/w8O/w8e/x8fHx8vHy8vHy8vLz
        8/Lz8/P19fT19fX29vb39/b39/f3+Pf4+Pf5+fj5+fn6+vn7+/r7+/v8/Pv8/Pz9/f3+/v7////POtEMAAAARHRSTlMAAQIDBAUG
        BwgJCgsMDQ8QERITFBUWFxgZHR4hIiUrLC0uNzg5PEBERU5Pi4+pqa21tbW6u9ro6Ojp6en19vf3+fr6+xUCVyAAAAGvSURBVHgB
        7dG1mhVNEIfxt2uOfh9uORnOReBOgl4eDhHu7u6Socm6+/ZU8az0HOvDxsgvf59/9Qz//CUcVZaXimsdtez90MineDBr6fxds4x6
        buBM95eBWLBm8d5UaSTJqfa3kWD5koNGnDvWll2VIyjvViVOdh+mMSiVx2giLecjwQo8wUUmbCUorH7SGAgpmb3AqZSMRBbMtPZT
        OCUwiwToeF0wTqBEAq1aSACSqgWNBr5uwf86MPXAm6rgBRPWAmpNF9xOgl1MOOubnuQVEOqIAj4aqIbnBtnTNf6G5gtqzReuM2E9
        cL1+IfqGJUzoAJBFTGj6Bkut7scZQRo9CSEQABEy0ZOkeSDRk0TqTqoKbIYFHgPMsNAxIAQLqTXQGgmGexeME5fvGqsPHIy92+yU
        GPnvzpgDywIHLpGv+Rubxj2NcvkrfV/yqmBAAjiX5PKl/8dzP4q5ucVCrXx/+6O+zrxzYW56IFfISW/78/vXG9x/3t7rkkKSSDjJ
        HOrdqGnqhxPnqGXmNfV+1KcaXotj4iqRxIlEAlVLU1UzbDrIOkecYYBBFgTRxPjT/ATfY8pu9A9U4QAAAABJRU5ErkJggg==
        """)

    /// CPython 3.7 IDLE icon (PSF license): 32x32 16-bit RGBA, filters None, Sub, Up and Paeth.
    static let idle32RGBA16: [UInt8] = try! Base64.decode("""
        iVBORw0KGgoAAAANSUhEUgAAACAAAAAgEAYAAAAj6qa3AAAABmJLR0T///////8JWPfcAAAACXBIWXMAAABIAAAASABGyWs+AAAJ
        LElEQVRo3r1ZS0xjZRQ+bYG2QKEtVN5MkAYR00k0AVGMsDEuXBh1M7PRmEElYNKY8EgnZKADARXEeVgfUSchMbqYhYSd4wODCzGk
        YoE0hMWklQJDW1ro+3Hb6+LM8ae33OExj7M5+R/39j/f+c75z7mVQIYUFKDOzYVHKuk06kgENcc9ql/OyRyWliYSiUQi4XDwPM/z
        PFuRSCQSiUT8RWLrHMdxHAeQTCaTySRAKBQKhUIAOzs7Ozs7AAqFQqFQ+Hw4/803zc3Nzc3NH32ET/t8DxsAwZHPnInH4/F43OEw
        m81ms9lolMvlcrmc4/r6+vr6+iyWra2tra0tgKKioqKiIvZkMBgMBoMAeXl5eXl5ABqNRqPRMIMRWIBYLBaLxdh+t9vtdrsBWltb
        W1tbAVwul8vl+uEHg8FgMBiMRny7x/OwAJCKeVKtVqvV6mCwpqampqbG65VKpVKpFKC6urq6uhqguLi4uLiYadzHAAiHw+FwGICY
        RAAEAoFAIACgVCqVSiVATk5OTk4OA6SsrKysrOz8+ZWVlZWVlatX8VQ63SNjAFLV4UilUqlUKhuY+x0TIMg0gPX19fX1dTIcgIAm
        jaHy8BghFVsYHR0dHR01GicmJiYmJnp6yAAKAfIYUZzm6eC0XziWyWQymYxinzGmoKCgoKCAAbK0tLS0tASg1Wq1Wu3589PT09PT
        0+PjD5oRR4ZAbW1tbW2t10vzRHVhCFBo0D6hJiEGkCaAKCRKSkpKSkoA8vPz8/PzGWANDQ0NDQ0XLszOzs7Ozk5OPmgg7sqZM0h9
        nsfszTTNk06n0+l0mmmhCNeFz2MI8Pzq6urq6ir7nUgkEolEeN7r9Xq9Xp53Op1Op5PnkRk8j0zj+bm5ubm5uU8/xXMfTMcnkxzh
        BHlseHh4eHjYaESqcpzJZDKZTBYLXV94O2QnOfIkeZZChK7D0tLS0tJS9nuUazDpsecQOHpvMtnZ2dnZ2Wk24zWp13d3d3d3d7/5
        Jr7lq69QBwL3DQAJXmPBoE6n0+l04bAwhskwSmboOQodBgzFtjCp0npVVVVVVRVAbm5ubm4uuxVI8NqUStvb29vb271efH8shgC9
        9RbuKixELb0b0lRYHS1ZtwAezOEQHlRsTIaRh8kQ4T7h80e9l8bEBKofotFoNBpl12xjY2NjY+Ozz+JTf/+N+viVpCgAQ0NDQ0ND
        rBAaGBgYGBiwWDY3Nzc3N5mnKFnRASmJ0cEJGNpPobK3t7e3t8fWy8vLy8vLWWhRKIgJAYRMXFnB0PvxR3TA0NBxAcgRezFm92AQ
        DQqHaZ4OTgelECCD8dpinvL5fD6fD6CysrKyspLtIw+qVCqVSgXgcgUCqRTA1as//WSzAdjt//7r8QAkEvF4NAogkaRSiQTTSqVM
        lk4DNDVVV6vVBsP777/66nPPGQx0TgzZo4HIYgBS2uGggx6XqqcdU9J8/fXr1//8E2B09I03nnoKQCrFfe+++/nnv/xyEIB0+iAQ
        pCsq1GqFAuD7783mzk6/HwHQak/NAGEv0N/f39/fb7Fgrc4oTUwgKlOSpHnS1AwJKz1Krjs7fn8oBIAcobOgwRyHOplEgzM1zrvd
        Hk84TFZoNA88BIgRVMtTJUdNj91ut9vtAIWFhYWFhczwioqKiooKFgq0Ts//T8W7Br333pdf/v77QU+T4WI6E5CTimgvQB69X6pT
        qUu3w1FttZjMzPzxx+oqwLVrN2/++mt2CEilqG/d+vprs1nsLXt7qK9doxwhyoCRkZGRkREWAr29vb29vRbL9vb29vZ2dlYnT3s8
        Ho/Hw24Dh8PvTyYBBgZu3rTZAO7c8fkCgeyDi8V29r7DQwCA5zNvf4fjtdcAADgukcAZrVatBqiuHh6+dOn/UvyoEMBCxeulefIk
        xTpVdsL7nTx95crPP9++DXDnjt8fDB6fyveifmZOSKcPFlhMUilkMDE5FnO5AABcLmqyAV5+WZQBWGreuEHzlAMo5oWUp3XyPMW6
        3e5y+f3HM+ykgNyrXQfgOGSGUO/v//MP7Tl7VrTUGBsbGxsbMxonJycnJyd7eoQeFlZqu7u7u7u7bEwHSiTi8VjsdJ4+HBCiPN4S
        JPX1tbUVFQAAySR+LSCDKTnSOJnE2wYAQKkUZQAWKNmFkJjnsXtjvQDzTDZlD+pnnnn8cZ0OwGQ6d+7FFwEee0ytpk+zJxMyfHPz
        ww8PM5xCAq9jEtFmiEJAzPNC0ev1er0+e/0oj1+8iIbrdFLpJ58AAPh8TqfQJWgIJjMygI1RZ69n5gA2fxAA0SQ4Pj4+Pj5uNE5N
        TU1NTfX0CCtDGpOmNlkIlEKBJStjQiYgOh15nOMON1yYzLI9m2mwcF2oeZ51m9GoKAAUAljDs1tAqKnCoxxA81RHNDVVValU4llc
        XCjJicXySQ0nIIuKzp6l31heziqEsLtyOKi7O20BRJWe2x0Op1IAg4M3bty6BeB2e70+HzIgHgf47bfr1z/4AKl/4QIelAwXUltI
        eUpqmfuwLslez80tKwMAePpp/HyiUjU1Xb4sCgD1AljJcZzRaDQajdm9ALXD1BUKu0HaRx8+xNtcr/fttw+PbTREq33nHQCA4uJX
        XoFTygkqQQoBNIj1AvQliDxMH0SEbS5pYtLGxsbGxkb2B5OWlpaWlpbDKU6xj+OtrStXAACczo8/PpwZuO+FF5aX6Ro+uugWAJBO
        W61Wq9X63Xf4De6LL9BjcjkduL6+vr6+PrvwIABIyNNYOFGQhMP46YxCbHsb5196Sdxwsdh+4olvv8VfxrHVeu7cyTkhAGB7u6Oj
        o6Ojw2RCT3322eDg4ODg4PPPd3V1dXV1jY8jEHI5Jr9IBD0dCuF+mQyB8fnW1tbW1tYWFubn5+fn5xcWZmZmZmZm1u/K7i7+3v4+
        Ame1SiQAGo1aDcBxm5uHGcySHWrKPaQpxgEA/P7jAnAEReRy1BpNXV1dXV1deXlbW1tbW1tlJX7IkMttNpvNZgsGEZhUanFxcXFx
        kQ5ANdf+PjEAdSxGvMHnzGaAePz27UuXANxuTFKh0PIyAEA8jm8RJrl0GnNJQUFTEwCAXn/xIgCASvXkk5cvH/eL0CmFblICiDT9
        rX7yhpeAQP3XX6gjEf6eQusLCwzIk8l//xjrnhF/vU4AAAAldEVYdGRhdGU6Y3JlYXRlADIwMTQtMDEtMzFUMDk6MDY6MTIrMDI6
        MDB3fyURAAAAJXRFWHRkYXRlOm1vZGlmeQAyMDE0LTAxLTMxVDA5OjA2OjEyKzAyOjAwBiKdrQAAAABJRU5ErkJggg==
        """)

    /// Vim's 16x16 icon (Vim license): 4-bit palette.
    static let gvim4Bit: [UInt8] = try! Base64.decode("""
        iVBORw0KGgoAAAANSUhEUgAAABAAAAAQBAMAAADt3eJSAAAABGdBTUEAALGPC/xhBQAAABhQTFRFvb29AP8AwMDAgICAAACA////
        AIAAAAAAMYvcHwAAAAF0Uk5TAEDm2GYAAABoSURBVHicJcuxDQMxDANApvIGGYAqNEHgNjMYMLKB1SoC8lo/sp/VgSCBzK9nAm3O
        j83paKQk2YFgtyF+8NvFxpAaP4Iv9uV4Bodcy3AFmWu90YKqaWesyTj3UFILklopdLvRPG5sVv45mR9NnDIlCQAAAABJRU5ErkJg
        gg==
        """)

    /// httplib2 docs image (MIT): 556x20 1-bit palette, Adam7.
    static let httplib2OneBitInterlaced: [UInt8] = try! Base64.decode("""
        iVBORw0KGgoAAAANSUhEUgAAAiwAAAAUAQMAAAHjCMTVAAAABlBMVEWzs7MAAABhmUukAAAAAXRSTlMAQObYZgAAADtJREFUOI1j
        +A8FfxiwAZjsD6yyxIH/6OABBYYND4ARJBgAe3QMHOCgozn0VDMKKAIOA+0AFOAwLI0BAOx+R/bl/OObAAAAAElFTkSuQmCC
        """)

    static let referencePNGs: [ReferencePNG] = [
        ReferencePNG(name: "libpngTest", file: libpngTest, width: 91, height: 69, bitDepth: 8, colorType: .rgba, interlaced: true,
                     dataCRC: 4213795967, dataCount: 25116),
        ReferencePNG(name: "adwaitaZoomIn", file: adwaitaZoomIn, width: 48, height: 48, bitDepth: 8, colorType: .palette, interlaced: false,
                     dataCRC: 2834695300, dataCount: 2304),
        ReferencePNG(name: "idle32RGBA16", file: idle32RGBA16, width: 32, height: 32, bitDepth: 16, colorType: .rgba, interlaced: false,
                     dataCRC: 3084506737, dataCount: 8192),
        ReferencePNG(name: "gvim4Bit", file: gvim4Bit, width: 16, height: 16, bitDepth: 4, colorType: .palette, interlaced: false,
                     dataCRC: 3057325603, dataCount: 128),
        ReferencePNG(name: "httplib2OneBitInterlaced", file: httplib2OneBitInterlaced, width: 556, height: 20, bitDepth: 1, colorType: .palette, interlaced: true,
                     dataCRC: 98388386, dataCount: 1400),
    ]
}
